import { Long } from 'bson';
import { isPlainObject, valuesEqual, type Document } from '../bson/values';
import { ErrorCode, fail } from '../errors';
import { compileFilter } from '../query/matcher';
import type { IndexSpec } from '../storage/btree-index';
import { isTextKey, normalizeTextIndex } from '../text/text-index';
import type { Collection } from '../storage/collection';
import { normalizeCollectionOptions } from '../storage/collection-options';
import { checkValidationOptions } from '../validation/document-validator';
import { parseCollation } from '../query/collation';
import { checkViewOptions, failOnView } from './views';
import {
  numberOption,
  operationCollation,
  targetCollection,
  type CommandHandler,
} from './command-context';

const SUPPORTED_INDEX_OPTIONS = new Set([
  'key',
  'name',
  'unique',
  'sparse',
  'partialFilterExpression',
  'expireAfterSeconds',
  'background',
  'v',
  'ns',
  'hidden',
  'collation',
  // text indexes
  'weights',
  'default_language',
  'language_override',
  'textIndexVersion',
  // geo indexes
  '2dsphereIndexVersion',
  'bits',
  'min',
  'max',
]);

/** Key types beside 1/-1 the engine builds (text, geo and hashed indexes). */
const SPECIAL_KEY_TYPES = new Set(['text', '2d', '2dsphere', 'hashed']);

/** `{a: 1, b: -1}` -> `a_1_b_-1`, as drivers and mongod name indexes. */
export function defaultIndexName(key: Document): string {
  return Object.entries(key)
    .map(([field, direction]) => `${field}_${String(direction)}`)
    .join('_');
}

function parseIndexSpec(raw: unknown): IndexSpec {
  if (!isPlainObject(raw)) fail(ErrorCode.TypeMismatch, 'index specification must be an object');
  const key = raw.key;
  if (!isPlainObject(key) || Object.keys(key).length === 0) {
    fail(ErrorCode.CannotCreateIndex, 'Index keys cannot be an empty field.');
  }
  for (const [field, direction] of Object.entries(key)) {
    if (typeof direction === 'string' && SPECIAL_KEY_TYPES.has(direction)) continue;
    if (field === '_fts' || field === '_ftsx') continue;
    if (typeof direction === 'string') {
      fail(
        ErrorCode.NotImplemented,
        `${direction} indexes are not supported by the embedded MongoDB engine (field '${field}')`,
      );
    }
    const d = Number(direction instanceof Long ? direction.toNumber() : direction);
    if (!Number.isFinite(d) || d === 0) {
      fail(
        ErrorCode.CannotCreateIndex,
        `Values in the index key pattern can't be 0 or non-numeric: ${field}`,
      );
    }
  }
  for (const option of Object.keys(raw)) {
    if (!SUPPORTED_INDEX_OPTIONS.has(option)) {
      fail(
        ErrorCode.NotImplemented,
        `index option '${option}' is not supported by the embedded MongoDB engine`,
      );
    }
  }
  let normalizedKey: Document = {};
  for (const [field, direction] of Object.entries(key)) {
    normalizedKey[field] =
      typeof direction === 'string'
        ? direction
        : Number(direction instanceof Long ? direction.toNumber() : direction) < 0
          ? -1
          : 1;
  }
  const name = typeof raw.name === 'string' ? raw.name : defaultIndexName(key);
  let options: Document = {};
  if (isTextKey(normalizedKey)) {
    const { key: textKey, ...textOptions } = normalizeTextIndex(raw, normalizedKey);
    normalizedKey = textKey;
    options = textOptions;
  } else options = geoIndexOptions(raw, normalizedKey);
  checkHashedKey(raw, normalizedKey);
  const spec: IndexSpec = { v: 2, key: normalizedKey, name, ...options };
  if (raw.unique === true) spec.unique = true;
  if (raw.sparse === true) spec.sparse = true;
  if (raw.hidden === true) {
    if (name === '_id_' || (Object.keys(key).length === 1 && normalizedKey._id === 1))
      fail(ErrorCode.BadValue, "can't hide _id index");
    spec.hidden = true;
  }
  if (raw.partialFilterExpression !== undefined) {
    if (!isPlainObject(raw.partialFilterExpression))
      fail(ErrorCode.TypeMismatch, 'partialFilterExpression must be an object');
    compileFilter(raw.partialFilterExpression);
    spec.partialFilterExpression = raw.partialFilterExpression;
  }
  if (raw.expireAfterSeconds !== undefined) {
    const seconds = numberOption(raw, 'expireAfterSeconds') as number;
    if (!Number.isInteger(seconds) || seconds < 0) {
      fail(
        ErrorCode.CannotCreateIndex,
        "TTL index 'expireAfterSeconds' option must be a non-negative integer",
      );
    }
    if (Object.keys(key).length !== 1)
      fail(
        ErrorCode.CannotCreateIndex,
        'TTL indexes are single-field indexes, compound indexes do not support TTL',
      );
    spec.expireAfterSeconds = seconds;
  }
  if (name === '_id_' && !(Object.keys(key).length === 1 && '_id' in key)) {
    fail(ErrorCode.BadValue, "The index name '_id_' is reserved for the _id index");
  }
  return spec;
}

/** mongod's rules for hashed keys: one hashed field, no uniqueness. */
function checkHashedKey(raw: Document, key: Document): void {
  const hashed = Object.values(key).filter((v) => v === 'hashed').length;
  if (hashed === 0) return;
  if (hashed > 1) fail(31303, 'A maximum of one index field is allowed to be hashed but found 2');
  if (Object.values(key).some((v) => typeof v === 'string' && v !== 'hashed'))
    fail(ErrorCode.CannotCreateIndex, 'A hashed index cannot be combined with text or geo fields');
  if (raw.unique === true) {
    fail(16764, 'Currently hashed indexes cannot guarantee uniqueness. Use a regular index.');
  }
}

/** The options mongod stores for a 2dsphere (version 3) or 2d index; none for other keys. */
function geoIndexOptions(raw: Document, key: Document): Document {
  const kinds = Object.values(key).filter((v) => v === '2d' || v === '2dsphere');
  if (kinds.length === 0) return {};
  if (kinds.length > 1)
    fail(ErrorCode.CannotCreateIndex, 'Only one geo field per index is supported');
  if (kinds[0] === '2dsphere') return { '2dsphereIndexVersion': 3 };
  if (Object.keys(key)[0] !== Object.keys(key).find((field) => key[field] === '2d'))
    fail(ErrorCode.CannotCreateIndex, '2d has to be first in index');
  const options: Document = {};
  for (const option of ['bits', 'min', 'max']) {
    if (raw[option] !== undefined) options[option] = numberOption(raw, option);
  }
  const min = (options.min as number | undefined) ?? -180;
  const max = (options.max as number | undefined) ?? 180;
  if (min >= max) fail(ErrorCode.CannotCreateIndex, 'need a max greater than min');
  return options;
}

const createIndexes: CommandHandler = (command, db, { catalog }) => {
  const name = targetCollection(command, 'createIndexes');
  const indexes = command.indexes;
  if (!Array.isArray(indexes) || indexes.length === 0)
    fail(ErrorCode.BadValue, 'Must specify at least one index to create');
  const existed = catalog.getCollection(db, name);
  if (existed?.isView) failOnView(db, name);
  // An index without a collation takes the collection's default one, as in mongod.
  const specs = indexes.map((raw: unknown) => {
    const spec = parseIndexSpec(raw);
    const collation = operationCollation(raw as Document, existed);
    if (collation) spec.collation = collation.spec;
    return spec;
  });
  const collection = existed ?? catalog.ensureCollection(db, name);
  const before = collection.indexList().length;
  let note: string | undefined;
  for (const spec of specs)
    if (!catalog.createIndex(collection, spec)) note = 'all indexes already exist';
  return {
    numIndexesBefore: before,
    numIndexesAfter: collection.indexList().length,
    createdCollectionAutomatically: !existed,
    ...(note && collection.indexList().length === before ? { note } : {}),
    ok: 1,
  };
};

/**
 * The index specs listIndexes reports: a clustered collection's `_id` index as its clustered
 * index (`clustered: true`); a time-series collection has no `_id` index to show.
 */
function listedIndexes(collection: Collection): Document[] {
  return collection.indexList().flatMap((index): Document[] => {
    if (index.name !== '_id_') return [{ ...index.spec }];
    if (collection.timeseries) return [];
    const clustered = collection.options.clusteredIndex;
    if (isPlainObject(clustered)) return [{ ...clustered, clustered: true }];
    return [{ ...index.spec }];
  });
}

const listIndexes: CommandHandler = (command, db, { catalog, cursors }) => {
  const name = targetCollection(command, 'listIndexes');
  const collection = catalog.getCollection(db, name);
  if (!collection) fail(ErrorCode.NamespaceNotFound, `ns does not exist: ${db}.${name}`);
  const items = listedIndexes(collection).map((doc) => ({ doc }));
  const batchSize = isPlainObject(command.cursor)
    ? numberOption(command.cursor, 'batchSize')
    : undefined;
  return cursors.open(`${db}.${name}`, items, batchSize ?? Infinity);
};

const dropIndexes: CommandHandler = (command, db, { catalog }) => {
  const name = targetCollection(command, 'dropIndexes');
  const collection = catalog.getCollection(db, name);
  if (!collection) fail(ErrorCode.NamespaceNotFound, `ns not found ${db}.${name}`);
  const before = collection.indexList().length;
  const target = command.index;
  const names = (Array.isArray(target) ? target : [target]).map((t) => indexNameFor(collection, t));
  for (const indexName of names) {
    if (indexName === '*') {
      for (const index of collection.indexList().slice(1))
        catalog.dropIndex(collection, index.name);
    } else catalog.dropIndex(collection, indexName);
  }
  return { nIndexesWas: before, ok: 1 };
};

function indexNameFor(collection: Collection, target: unknown): string {
  if (typeof target === 'string') return target;
  if (isPlainObject(target)) {
    const wanted = JSON.stringify(
      Object.entries(target).map(([k, v]) => [k, Number(v) < 0 ? -1 : 1]),
    );
    const found = collection
      .indexList()
      .find((i) => JSON.stringify(Object.entries(i.spec.key)) === wanted);
    if (found) return found.name;
    fail(ErrorCode.IndexNotFound, `can't find index with key: ${JSON.stringify(target)}`);
  }
  return fail(
    ErrorCode.TypeMismatch,
    'dropIndexes: index must be a string, an array of strings or a key pattern',
  );
}

const create: CommandHandler = (command, db, { catalog }) => {
  const name = targetCollection(command, 'create');
  const { create: _name, $db: _db, lsid: _lsid, writeConcern: _wc, ...options } = command;
  // Options whose rules the engine would not enforce are refused rather than silently stored.
  const unsupported = ['changeStreamPreAndPostImages', 'encryptedFields'];
  for (const option of unsupported) {
    if (options[option] !== undefined && options[option] !== false) {
      fail(
        ErrorCode.NotImplemented,
        `create option '${option}' is not supported by the embedded MongoDB engine`,
      );
    }
  }
  if (options.collation !== undefined) {
    // Stored as mongod reports it, every field filled in; "simple" is the default, not stored.
    const collation = parseCollation(options.collation);
    if (collation) options.collation = collation.spec;
    else delete options.collation;
  }
  if (options.viewOn !== undefined) checkViewOptions(db, options, catalog);
  else if (options.pipeline !== undefined) {
    fail(ErrorCode.InvalidOptions, "'pipeline' requires 'viewOn' to also be specified");
  }
  checkValidationOptions(options);
  const stored = normalizeCollectionOptions(options);
  const existing = catalog.getCollection(db, name);
  // mongod 7.0: creating a collection that exists with identical options is a no-op success.
  if (
    existing &&
    valuesEqual(withoutGenericArguments(existing.options), withoutGenericArguments(stored))
  ) {
    return { ok: 1 };
  }
  const collection = catalog.createCollection(db, name, stored);
  const timeseries = collection.timeseries;
  // Since 6.3 mongod indexes a time-series collection on its meta and time fields.
  if (timeseries?.metaField !== undefined) {
    const key = { [timeseries.metaField]: 1, [timeseries.timeField]: 1 };
    catalog.createIndex(collection, { v: 2, key, name: defaultIndexName(key) });
  }
  return { ok: 1 };
};

/** Arguments any command may carry that are no collection options. */
const GENERIC_ARGUMENTS = [
  'comment',
  'maxTimeMS',
  'apiVersion',
  'apiStrict',
  'apiDeprecationErrors',
];

function withoutGenericArguments(options: Document): Document {
  return Object.fromEntries(
    Object.entries(options).filter(
      ([key]) => !key.startsWith('$') && !GENERIC_ARGUMENTS.includes(key),
    ),
  );
}

const drop: CommandHandler = (command, db, { catalog }) => {
  const name = targetCollection(command, 'drop');
  const collection = catalog.getCollection(db, name);
  // Since mongod 7.0 (SERVER-43894) dropping a collection that does not exist succeeds.
  if (!collection) return { ok: 1 };
  const nIndexesWas = collection.indexList().length;
  catalog.dropCollection(db, name);
  return { nIndexesWas, ns: `${db}.${name}`, ok: 1 };
};

const dropDatabase: CommandHandler = (_command, db, { catalog }) => {
  catalog.dropDatabase(db);
  return { dropped: db, ok: 1 };
};

function splitNamespace(value: unknown, field: string): [string, string] {
  if (typeof value !== 'string' || !value.includes('.'))
    fail(ErrorCode.InvalidNamespace, `Invalid ${field} namespace: ${String(value)}`);
  const dot = value.indexOf('.');
  return [value.slice(0, dot), value.slice(dot + 1)];
}

const renameCollection: CommandHandler = (command, db, { catalog }) => {
  if (db !== 'admin')
    fail(ErrorCode.Unauthorized, 'renameCollection may only be run against the admin database.');
  const [fromDb, fromName] = splitNamespace(command.renameCollection, 'source');
  const [toDb, toName] = splitNamespace(command.to, 'target');
  const source = catalog.getCollection(fromDb, fromName);
  if (!source) fail(ErrorCode.NamespaceNotFound, 'Source collection does not exist');
  if (fromDb === toDb && fromName === toName)
    fail(ErrorCode.IllegalOperation, "Can't rename a collection to itself");
  if (catalog.getCollection(toDb, toName)) {
    if (command.dropTarget !== true) fail(ErrorCode.NamespaceExists, 'target namespace exists');
    catalog.dropCollection(toDb, toName);
  }
  catalog.renameCollection(source, toDb, toName);
  return { ok: 1 };
};

const listCollections: CommandHandler = (command, db, { catalog, cursors }) => {
  const filter = isPlainObject(command.filter) ? command.filter : {};
  const matcher = compileFilter(filter);
  const nameOnly = command.nameOnly === true;
  const items = catalog
    .collections(db)
    .map((c) =>
      nameOnly
        ? { name: c.name, type: c.isView ? 'view' : c.timeseries ? 'timeseries' : 'collection' }
        : c.isView
          ? { name: c.name, type: 'view', options: c.options, info: { readOnly: true } }
          : c.timeseries
            ? { name: c.name, type: 'timeseries', options: c.options, info: { readOnly: false } }
            : {
                name: c.name,
                type: 'collection',
                options: c.options,
                info: { readOnly: false, uuid: c.uuid },
                // A clustered collection has no separate _id index.
                ...(c.clustered ? {} : { idIndex: { v: 2, key: { _id: 1 }, name: '_id_' } }),
              },
    )
    .filter((doc) => matcher.test(doc))
    .map((doc) => ({ doc }));
  const batchSize = isPlainObject(command.cursor)
    ? numberOption(command.cursor, 'batchSize')
    : undefined;
  return cursors.open(`${db}.$cmd.listCollections`, items, batchSize ?? Infinity);
};

const listDatabases: CommandHandler = (command, _db, { catalog }) => {
  const databases = catalog.databaseNames().map((name) => {
    const sizeOnDisk = catalog.collections(name).reduce((total, c) => total + c.dataSize, 0);
    return { name, sizeOnDisk, empty: sizeOnDisk === 0 };
  });
  const filtered = isPlainObject(command.filter)
    ? databases.filter((d) => compileFilter(command.filter as Document).test(d))
    : databases;
  if (command.nameOnly === true)
    return { databases: filtered.map(({ name }) => ({ name })), ok: 1 };
  return { databases: filtered, totalSize: filtered.reduce((t, d) => t + d.sizeOnDisk, 0), ok: 1 };
};

const collStats: CommandHandler = (command, db, { catalog }) => {
  const name = targetCollection(command, 'collStats');
  const collection = catalog.getCollection(db, name);
  if (!collection) fail(ErrorCode.NamespaceNotFound, `Collection [${db}.${name}] not found.`);
  const size = collection.dataSize;
  const count = collection.count;
  return {
    ns: collection.ns,
    size,
    count,
    avgObjSize: count ? Math.round(size / count) : 0,
    capped: collection.capped !== null,
    ...(collection.capped
      ? {
          maxSize: collection.capped.size,
          ...(Number.isFinite(collection.capped.max) ? { max: collection.capped.max } : {}),
        }
      : {}),
    storageSize: size,
    nindexes: collection.indexList().length,
    indexSizes: Object.fromEntries(collection.indexList().map((i) => [i.name, i.size * 16])),
    totalIndexSize: collection.indexList().reduce((t, i) => t + i.size * 16, 0),
    ok: 1,
  };
};

const dbStats: CommandHandler = (_command, db, { catalog }) => {
  const collections = catalog.collections(db);
  const dataSize = collections.reduce((t, c) => t + c.dataSize, 0);
  const objects = collections.reduce((t, c) => t + c.count, 0);
  return {
    db,
    collections: collections.length,
    views: 0,
    objects,
    avgObjSize: objects ? dataSize / objects : 0,
    dataSize,
    storageSize: dataSize,
    indexes: collections.reduce((t, c) => t + c.indexList().length, 0),
    ok: 1,
  };
};

/**
 * `convertToCapped`: makes a collection capped at `size` bytes, keeping its newest documents
 * that fit and, as mongod does, only its `_id` index.
 */
const convertToCapped: CommandHandler = (command, db, { catalog }) => {
  const name = targetCollection(command, 'convertToCapped');
  const collection = catalog.getCollection(db, name);
  if (!collection)
    fail(ErrorCode.NamespaceNotFound, `source collection ${db}.${name} does not exist`);
  if (collection.timeseries || collection.clustered)
    fail(
      ErrorCode.IllegalOperation,
      `cannot convert a ${collection.timeseries ? 'time-series' : 'clustered'} collection to capped`,
    );
  const others = Object.entries(collection.options).filter(
    ([option]) => !['capped', 'size', 'max'].includes(option),
  );
  const options = normalizeCollectionOptions({
    ...Object.fromEntries(others),
    capped: true,
    size: command.size,
  });
  for (const index of collection.indexList().slice(1)) catalog.dropIndex(collection, index.name);
  catalog.modifyCollection(collection, options, []);
  for (const oldest of collection.cappedOverflow()) catalog.remove(collection, oldest);
  return { ok: 1 };
};

/** Database, collection and index management commands. */
export const catalogCommands: Record<string, CommandHandler> = {
  createIndexes,
  listIndexes,
  dropIndexes,
  deleteIndexes: dropIndexes,
  create,
  convertToCapped,
  drop,
  dropDatabase,
  renameCollection,
  listCollections,
  listDatabases,
  collStats,
  dbStats,
};
