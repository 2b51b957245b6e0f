/**
 * The aggregation stages that write: `$out` (replace a collection with the pipeline's output)
 * and `$merge` (merge the output into a collection), as the last stage of an `aggregate`.
 */
import { ObjectId } from 'bson';
import { Aggregator } from 'mingo/aggregator';
import { isPlainObject, toView, valuesEqual, type Document } from '../bson/values';
import { ErrorCode, fail } from '../errors';
import { compileFilter, QUERY_OPTIONS, translateQueryErrors } from '../query/matcher';
import type { Catalog } from '../storage/catalog';
import type { Collection } from '../storage/collection';
import { prepareDocument } from '../storage/document-rules';
import { enforceValidation, type ValidationWarnings } from '../validation/document-validator';

/** How the documents a writing stage produces reach the catalog (validated unless bypassed). */
export interface StageWriter {
  catalog: Catalog;
  bypassDocumentValidation: boolean;
  warnings: ValidationWarnings;
}

/** The `{db, coll}` a `$out` or `$merge` names (a string names a collection of `db`). */
function targetOf(value: unknown, db: string, stage: string): { db: string; coll: string } {
  if (typeof value === 'string' && value !== '') return { db, coll: value };
  if (isPlainObject(value) && typeof value.coll === 'string') {
    return { db: typeof value.db === 'string' ? value.db : db, coll: value.coll };
  }
  return fail(ErrorCode.FailedToParse, `${stage} needs a collection name or {db, coll}`);
}

function refuseSystemOrView(catalog: Catalog, db: string, coll: string, stage: string): void {
  if (coll.startsWith('system.')) {
    fail(
      ErrorCode.InvalidNamespace,
      `${stage} to a system collection (${db}.${coll}) is not allowed`,
    );
  }
  if (catalog.getCollection(db, coll)?.isView) {
    fail(
      ErrorCode.CommandNotSupportedOnView,
      `Namespace ${db}.${coll} is a view, not a collection`,
    );
  }
}

function validated(
  writer: StageWriter,
  collection: Collection,
  doc: Document,
  previous?: Document,
): void {
  enforceValidation(collection.validator, doc, previous, {
    ns: collection.ns,
    bypass: writer.bypassDocumentValidation,
    warnings: writer.warnings,
  });
}

/**
 * `$out`: the output replaces the target's documents (its indexes and options are kept), all or
 * nothing: a duplicate `_id` or a failed validation leaves the target as it was.
 */
export function runOut(writer: StageWriter, db: string, spec: unknown, output: Document[]): void {
  const { catalog } = writer;
  const target = targetOf(spec, db, '$out');
  refuseSystemOrView(catalog, target.db, target.coll, '$out');
  const docs = output.map((doc) =>
    prepareDocument(doc._id === undefined ? { _id: new ObjectId(), ...doc } : doc),
  );
  const seen: unknown[] = [];
  for (const { doc } of docs) {
    if (seen.some((id) => valuesEqual(id, doc._id))) {
      fail(
        ErrorCode.DuplicateKey,
        `E11000 duplicate key error collection: ${target.db}.${target.coll} index: _id_ dup key: { _id: ${JSON.stringify(toView(doc._id))} }`,
        { keyPattern: { _id: 1 }, keyValue: { _id: doc._id } },
      );
    }
    seen.push(doc._id);
  }
  const collection = catalog.ensureCollection(target.db, target.coll);
  for (const { doc } of docs) validated(writer, collection, doc);
  for (const record of [...collection.allRecords()]) catalog.remove(collection, record);
  for (const prepared of docs) catalog.insert(collection, prepared.doc, prepared);
}

type WhenMatched = 'replace' | 'keepExisting' | 'merge' | 'fail' | Document[];
type WhenNotMatched = 'insert' | 'discard' | 'fail';

const WHEN_MATCHED = new Set(['replace', 'keepExisting', 'merge', 'fail']);
const WHEN_NOT_MATCHED = new Set(['insert', 'discard', 'fail']);

/** `$merge`: each output document is matched on `on` and inserted, replaced, merged or refused. */
export function runMerge(writer: StageWriter, db: string, spec: unknown, output: Document[]): void {
  const { catalog } = writer;
  const options = isPlainObject(spec) ? spec : { into: spec };
  const target = targetOf(options.into, db, '$merge');
  refuseSystemOrView(catalog, target.db, target.coll, '$merge');
  const on =
    options.on === undefined ? ['_id'] : Array.isArray(options.on) ? options.on : [options.on];
  if (!on.every((field): field is string => typeof field === 'string')) {
    fail(ErrorCode.FailedToParse, "$merge 'on' must be a field name or an array of field names");
  }
  const whenMatched = (options.whenMatched ?? 'merge') as WhenMatched;
  const whenNotMatched = (options.whenNotMatched ?? 'insert') as WhenNotMatched;
  if (!Array.isArray(whenMatched) && !WHEN_MATCHED.has(whenMatched)) {
    fail(
      ErrorCode.BadValue,
      `Enumeration value '${String(whenMatched)}' for field 'whenMatched' is not a valid value.`,
    );
  }
  if (!WHEN_NOT_MATCHED.has(whenNotMatched)) {
    fail(
      ErrorCode.BadValue,
      `Enumeration value '${String(whenNotMatched)}' for field 'whenNotMatched' is not a valid value.`,
    );
  }
  const collection = catalog.ensureCollection(target.db, target.coll);
  const onId = on.length === 1 && on[0] === '_id';
  if (
    !onId &&
    !collection.indexList().some((index) => index.unique && sameFields(index.spec.key, on))
  ) {
    fail(51183, 'Cannot find index to verify that join fields will be unique');
  }
  for (const doc of output) {
    const criteria = Object.fromEntries(on.map((field) => [field, doc[field] ?? null]));
    const [existing] = collection.query(compileFilter(criteria), { limit: 1 });
    if (!existing) {
      if (whenNotMatched === 'discard') continue;
      if (whenNotMatched === 'fail') {
        fail(
          13113,
          '$merge could not find a matching document in the target collection for at least one document in the source collection',
        );
      }
      const prepared = prepareDocument(
        doc._id === undefined ? { _id: new ObjectId(), ...doc } : doc,
      );
      validated(writer, collection, prepared.doc);
      catalog.insert(collection, prepared.doc, prepared);
      continue;
    }
    let next: Document;
    if (Array.isArray(whenMatched)) {
      const [updated] = translateQueryErrors(
        () =>
          new Aggregator(whenMatched, { ...QUERY_OPTIONS, variables: { new: toView(doc) } }).run([
            toView(existing.doc),
          ]) as Document[],
      );
      next = { ...(updated ?? existing.doc), _id: existing.doc._id };
    } else if (whenMatched === 'fail') {
      return fail(
        ErrorCode.DuplicateKey,
        `E11000 duplicate key error collection: ${target.db}.${target.coll} index: _id_ dup key: { _id: ${JSON.stringify(toView(existing.doc._id))} }`,
        { keyPattern: { _id: 1 }, keyValue: { _id: existing.doc._id } },
      );
    } else if (whenMatched === 'keepExisting') {
      continue;
    } else if (whenMatched === 'replace') {
      next = { ...doc, _id: existing.doc._id };
    } else {
      next = { ...existing.doc, ...doc, _id: existing.doc._id };
    }
    validated(writer, collection, next, existing.doc);
    catalog.replace(collection, existing, next);
  }
}

function sameFields(key: Document, fields: string[]): boolean {
  const names = Object.keys(key);
  return names.length === fields.length && fields.every((field) => names.includes(field));
}
