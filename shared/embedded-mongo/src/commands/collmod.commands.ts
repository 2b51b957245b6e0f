import { isPlainObject, type Document } from '../bson/values';
import { ErrorCode, fail } from '../errors';
import type { IndexSpec } from '../storage/btree-index';
import type { Collection } from '../storage/collection';
import { collectionTtl, normalizeCollectionOptions } from '../storage/collection-options';
import { checkValidationOptions } from '../validation/document-validator';
import { numberOption, targetCollection, type CommandHandler } from './command-context';

/** Fields collMod takes besides the options it changes. */
const GENERIC_FIELDS = new Set([
  'collMod',
  '$db',
  'lsid',
  'writeConcern',
  'comment',
  'maxTimeMS',
  'apiVersion',
  'apiStrict',
  'apiDeprecationErrors',
  '$readPreference',
  '$clusterTime',
]);

const VALIDATION_FIELDS = ['validator', 'validationLevel', 'validationAction'] as const;
const COLLECTION_FIELDS = ['expireAfterSeconds', 'cappedSize', 'cappedMax'] as const;

/** mongod's IDL code for a field a command does not know. */
const UNKNOWN_FIELD = 40415;

function findIndex(collection: Collection, target: Document): IndexSpec {
  const { keyPattern, name } = target;
  if ((keyPattern === undefined) === (name === undefined)) {
    fail(
      ErrorCode.InvalidOptions,
      'Must specify exactly one of keyPattern or name in index option',
    );
  }
  const index = collection
    .indexList()
    .find((candidate) =>
      name !== undefined
        ? candidate.name === name
        : isPlainObject(keyPattern) &&
          JSON.stringify(Object.entries(candidate.spec.key)) ===
            JSON.stringify(Object.entries(keyPattern).map(([k, v]) => [k, Number(v) < 0 ? -1 : 1])),
    );
  if (!index) {
    fail(
      ErrorCode.IndexNotFound,
      `cannot find index ${name !== undefined ? String(name) : JSON.stringify(keyPattern)} for ns ${collection.ns}`,
    );
  }
  return { ...index.spec };
}

/**
 * A clustered or time-series collection's TTL (`expireAfterSeconds`, a number or `'off'`) and a
 * capped collection's `cappedSize` / `cappedMax` (mongod 6.0+), written into `options`.
 */
function changeCollectionLimits(
  collection: Collection,
  command: Document,
  options: Document,
): void {
  if (command.expireAfterSeconds !== undefined) {
    if (!collection.clustered && !collection.timeseries) {
      fail(
        ErrorCode.InvalidOptions,
        "'expireAfterSeconds' option is only supported on clustered or time-series collections",
      );
    }
    if (command.expireAfterSeconds === 'off') delete options.expireAfterSeconds;
    else options.expireAfterSeconds = collectionTtl(command.expireAfterSeconds);
  }
  if (command.cappedSize !== undefined || command.cappedMax !== undefined) {
    if (!collection.capped)
      fail(ErrorCode.InvalidOptions, `${collection.ns} is not a capped collection`);
    const resized = normalizeCollectionOptions({
      capped: true,
      size: command.cappedSize ?? options.size,
      max: command.cappedMax ?? options.max,
    });
    delete options.max;
    Object.assign(options, resized);
  }
}

/**
 * `collMod`: changes a collection's validator, validationLevel and validationAction, and an
 * index's `hidden` flag or TTL (`expireAfterSeconds`), answering the `*_old`/`*_new` fields mongod
 * does. Changed options are journaled and survive a restart.
 */
const collMod: CommandHandler = (command, db, { catalog }) => {
  const name = targetCollection(command, 'collMod');
  const collection = catalog.getCollection(db, name);
  if (!collection) fail(ErrorCode.NamespaceNotFound, `ns does not exist: ${db}.${name}`);
  for (const field of Object.keys(command)) {
    if (
      !GENERIC_FIELDS.has(field) &&
      field !== 'index' &&
      !(VALIDATION_FIELDS as readonly string[]).includes(field) &&
      !(COLLECTION_FIELDS as readonly string[]).includes(field)
    ) {
      fail(UNKNOWN_FIELD, `BSON field 'collMod.${field}' is an unknown field.`);
    }
  }
  checkValidationOptions(command);
  const options: Document = { ...collection.options };
  for (const field of VALIDATION_FIELDS) {
    if (command[field] !== undefined) options[field] = command[field];
  }
  const reply: Document = {};
  changeCollectionLimits(collection, command, options);
  const indexes: IndexSpec[] = [];
  if (command.index !== undefined) {
    if (!isPlainObject(command.index))
      fail(ErrorCode.TypeMismatch, "BSON field 'collMod.index' is the wrong type, expected object");
    const change = command.index;
    const spec = findIndex(collection, change);
    if (change.hidden === undefined && change.expireAfterSeconds === undefined) {
      fail(
        ErrorCode.InvalidOptions,
        'no expireAfterSeconds or hidden field specified for the index option',
      );
    }
    if (change.hidden !== undefined) {
      if (typeof change.hidden !== 'boolean')
        fail(ErrorCode.TypeMismatch, "BSON field 'hidden' is the wrong type, expected boolean");
      if (spec.name === '_id_') fail(ErrorCode.BadValue, "can't hide _id index");
      reply.hidden_old = spec.hidden === true;
      reply.hidden_new = change.hidden;
      if (change.hidden) spec.hidden = true;
      else delete spec.hidden;
    }
    if (change.expireAfterSeconds !== undefined) {
      const seconds = numberOption(change, 'expireAfterSeconds') as number;
      if (!Number.isInteger(seconds) || seconds < 0)
        fail(
          ErrorCode.InvalidOptions,
          "TTL index 'expireAfterSeconds' option must be a non-negative integer",
        );
      if (spec.name === '_id_' || Object.keys(spec.key).length !== 1)
        fail(
          ErrorCode.InvalidOptions,
          'TTL indexes are single-field indexes, compound indexes do not support TTL',
        );
      if (spec.expireAfterSeconds !== undefined)
        reply.expireAfterSeconds_old = spec.expireAfterSeconds;
      reply.expireAfterSeconds_new = seconds;
      spec.expireAfterSeconds = seconds;
    }
    indexes.push(spec);
  }
  catalog.modifyCollection(collection, options, indexes);
  for (const oldest of collection.cappedOverflow()) catalog.remove(collection, oldest);
  return { ...reply, ok: 1 };
};

/** Collection modification commands. */
export const collModCommands: Record<string, CommandHandler> = { collMod };
