import { UUID } from 'bson';
import { isPlainObject, toView, valuesEqual, type Document } from '../bson/values';
import { ErrorCode, fail } from '../errors';
import type { Matcher } from '../query/matcher';
import { planQuery, topLevelConditions, type Plan, type SortSpec } from '../query/planner';
import { sortItems } from '../query/sort';
import { BTreeIndex, type IndexSpec } from './btree-index';
import { compileValidator, type DocumentValidator } from '../validation/document-validator';
import { checkDocumentSize, prepareDocument } from './document-rules';

/**
 * A stored document. Records are immutable: a write replaces the record object, so cursors and
 * readers holding an old one keep a consistent snapshot of it.
 */
export interface StoredRecord {
  /** Record id: position in natural (insertion) order, stable across updates. */
  readonly rid: number;
  /** The document in exact form (see bson/values.ts). */
  readonly doc: Document;
  /** The document as mingo sees it (numeric wrappers as numbers); often the same object. */
  readonly view: Document;
  /** BSON size in bytes. */
  readonly size: number;
}

export interface QueryOptions {
  sort?: SortSpec;
  skip?: number;
  limit?: number;
  hint?: unknown;
}

export const ID_INDEX_NAME = '_id_';

/** Work counters, as mongod reports them in serverStatus `metrics.queryExecutor`. */
export interface QueryMetrics {
  /** Index entries examined. */
  scanned: number;
  /** Documents examined (tested against a filter). */
  scannedObjects: number;
}

/** A collection: records in natural order and their indexes (the `_id` index always first). */
export class Collection {
  readonly db: string;
  name: string;
  private currentOptions: Document;
  readonly uuid: UUID;
  private compiledValidator: DocumentValidator | null | undefined;
  private readonly records = new Map<number, StoredRecord>();
  private readonly indexes = new Map<string, BTreeIndex>();
  private nextRid = 1;
  private readonly metrics: QueryMetrics;

  constructor(
    db: string,
    name: string,
    options: Document = {},
    uuid: UUID = new UUID(),
    metrics: QueryMetrics = { scanned: 0, scannedObjects: 0 },
  ) {
    this.db = db;
    this.name = name;
    this.currentOptions = options;
    this.uuid = uuid;
    this.metrics = metrics;
    this.indexes.set(ID_INDEX_NAME, new BTreeIndex({ v: 2, key: { _id: 1 }, name: ID_INDEX_NAME }));
  }

  get ns(): string {
    return `${this.db}.${this.name}`;
  }

  /** The collection's options as `create` (and later `collMod`) set them. */
  get options(): Document {
    return this.currentOptions;
  }

  /** Replaces the options (collMod); the validator is compiled again on next use. */
  setOptions(options: Document): void {
    this.currentOptions = options;
    this.compiledValidator = undefined;
  }

  /** The compiled validator, or null when the collection has none. */
  get validator(): DocumentValidator | null {
    if (this.compiledValidator === undefined)
      this.compiledValidator = compileValidator(this.currentOptions);
    return this.compiledValidator;
  }

  get count(): number {
    return this.records.size;
  }

  get dataSize(): number {
    let total = 0;
    for (const record of this.records.values()) total += record.size;
    return total;
  }

  indexList(): BTreeIndex[] {
    return [...this.indexes.values()];
  }

  getIndex(name: string): BTreeIndex | undefined {
    return this.indexes.get(name);
  }

  /** All records in natural order. */
  allRecords(): IterableIterator<StoredRecord> {
    return this.records.values();
  }

  getRecord(rid: number): StoredRecord | undefined {
    return this.records.get(rid);
  }

  /** The record whose `_id` equals `id`, if any. */
  findById(id: unknown): StoredRecord | undefined {
    const index = this.indexes.get(ID_INDEX_NAME) as BTreeIndex;
    for (const rid of index.scan([
      [{ low: id, lowInclusive: true, high: id, highInclusive: true }],
    ])) {
      return this.records.get(rid);
    }
    return undefined;
  }

  private keysByIndex(doc: Document, view: Document): Map<BTreeIndex, unknown[][]> {
    const keys = new Map<BTreeIndex, unknown[][]>();
    for (const index of this.indexes.values()) keys.set(index, index.keysFor(doc, view));
    return keys;
  }

  /**
   * Inserts a document (made ready by {@link prepareDocument} unless `prepared`). Checks every
   * unique index before touching any, so a violation leaves nothing written.
   */
  insert(input: Document, prepared?: { doc: Document; size: number }): StoredRecord {
    const { doc, size } = prepared ?? prepareDocument(input);
    const view = toView(doc) as Document;
    const rid = this.nextRid;
    const keys = this.keysByIndex(doc, view);
    for (const [index, entries] of keys)
      for (const values of entries) index.checkUnique(values, rid, this.ns);
    this.nextRid++;
    for (const [index, entries] of keys) {
      for (const values of entries) index.add(values, rid);
      index.markMultikey(doc);
    }
    const record: StoredRecord = { rid, doc, view, size };
    this.records.set(rid, record);
    return record;
  }

  /**
   * Replaces a record's document (same `_id`, checked by the caller). Unique violations throw
   * before anything changes. Returns the new record.
   */
  replace(record: StoredRecord, doc: Document): StoredRecord {
    if (!valuesEqual(record.doc._id, doc._id)) {
      fail(
        ErrorCode.ImmutableField,
        "Performing an update on the path '_id' would modify the immutable field '_id'",
      );
    }
    const size = checkDocumentSize(doc);
    const view = toView(doc) as Document;
    const oldKeys = this.keysByIndex(record.doc, record.view);
    const newKeys = this.keysByIndex(doc, view);
    for (const [index, entries] of newKeys) {
      for (const values of entries) index.checkUnique(values, record.rid, this.ns);
    }
    for (const [index, entries] of oldKeys)
      for (const values of entries) index.remove(values, record.rid);
    for (const [index, entries] of newKeys) {
      for (const values of entries) index.add(values, record.rid);
      index.markMultikey(doc);
    }
    const updated: StoredRecord = { rid: record.rid, doc, view, size };
    this.records.set(record.rid, updated);
    return updated;
  }

  remove(record: StoredRecord): void {
    if (!this.records.delete(record.rid)) return;
    for (const [index, entries] of this.keysByIndex(record.doc, record.view)) {
      for (const values of entries) index.remove(values, record.rid);
    }
  }

  /**
   * Builds an index over the existing documents. Returns false when an identical index exists;
   * throws on a name or key conflict, or DuplicateKey when existing data violates uniqueness
   * (then the index is not created).
   */
  createIndex(spec: IndexSpec): boolean {
    const sameKey = (existing: BTreeIndex): boolean =>
      JSON.stringify(Object.entries(existing.spec.key)) ===
      JSON.stringify(Object.entries(spec.key));
    // As mongod: an index of the same name first, then one with the same key (and partial filter).
    const named = this.indexes.get(spec.name);
    if (named) {
      if (!sameKey(named) || !samePartial(named.spec, spec)) {
        fail(
          ErrorCode.IndexKeySpecsConflict,
          `An existing index has the same name as the requested index. When index names are not specified, they are auto generated and can cause conflicts. Please refer to our documentation. Requested index: ${JSON.stringify(spec)}, existing index: ${JSON.stringify(named.spec)}`,
        );
      }
      if (sameOptions(named.spec, spec)) return false;
      fail(
        ErrorCode.IndexOptionsConflict,
        `An equivalent index already exists with the same name but different options. Requested index: ${JSON.stringify(spec)}, existing index: ${JSON.stringify(named.spec)}`,
      );
    }
    for (const existing of this.indexes.values()) {
      if (sameKey(existing) && samePartial(existing.spec, spec)) {
        if (sameOptions(existing.spec, spec)) {
          // createIndex({_id: 1}) (named `_id_1` by drivers) is a no-op, as in mongod.
          if (existing.name === ID_INDEX_NAME) return false;
          fail(
            ErrorCode.IndexOptionsConflict,
            `Index already exists with a different name: ${existing.name}`,
          );
        }
        fail(
          ErrorCode.IndexOptionsConflict,
          `An equivalent index already exists with a different name and options. Requested index: ${JSON.stringify(spec)}, existing index: ${JSON.stringify(existing.spec)}`,
        );
      }
    }
    const index = new BTreeIndex(spec);
    for (const record of this.records.values()) {
      for (const values of index.keysFor(record.doc, record.view)) {
        index.checkUnique(values, record.rid, this.ns);
        index.add(values, record.rid);
      }
      index.markMultikey(record.doc);
    }
    this.indexes.set(spec.name, index);
    return true;
  }

  dropIndex(name: string): void {
    if (name === ID_INDEX_NAME) fail(ErrorCode.InvalidOptions, 'cannot drop _id index');
    if (!this.indexes.delete(name))
      fail(ErrorCode.IndexNotFound, `index not found with name [${name}]`);
  }

  dropAllIndexes(): void {
    for (const name of [...this.indexes.keys()])
      if (name !== ID_INDEX_NAME) this.indexes.delete(name);
  }

  /** Empties the collection but keeps its indexes (used by replay and `drop`-less truncation). */
  clear(): void {
    this.records.clear();
    for (const index of this.indexes.values()) index.clear();
  }

  plan(filter: Document, sort: SortSpec, hint?: unknown): Plan {
    return planQuery(filter, sort, this.indexes.values(), hint);
  }

  /**
   * The records matching `matcher`, sorted, skipped and limited. Uses the planner's index when
   * it bounds the filter or yields the sort order; stops early when the order is already right.
   */
  query(matcher: Matcher, options: QueryOptions = {}): StoredRecord[] {
    const sort = options.sort ?? [];
    const skip = options.skip ?? 0;
    const limit = options.limit ?? 0;
    const natural = sort.length === 1 && sort[0]?.[0] === '$natural';
    const plan = natural
      ? this.plan({}, [], { $natural: 1 })
      : this.plan(matcher.filter, sort, options.hint);
    const ordered = natural || sort.length === 0 || plan.providesSort;
    const wanted = ordered && limit > 0 ? skip + limit : Infinity;
    const matches: StoredRecord[] = [];
    for (const record of this.candidates(plan, natural && sort[0]?.[1] === -1)) {
      this.metrics.scannedObjects++;
      if (!matcher.test(record.view)) continue;
      matches.push(record);
      if (matches.length >= wanted) break;
    }
    const sorted = ordered ? matches : sortItems(matches, sort, (r) => r.doc);
    return sorted.slice(skip, limit > 0 ? skip + limit : undefined);
  }

  /**
   * How many records match: from the index alone when the filter is nothing but equalities (or
   * `$in` lists) on the leading fields of a plain, single-valued index — a count scan, as mongod
   * does, and O(log n) here — otherwise by running the query.
   */
  countMatching(matcher: Matcher, hint?: unknown): number {
    const plan = this.plan(matcher.filter, [], hint);
    const index = plan.index;
    if (
      index &&
      !index.multikey &&
      index.spec.sparse !== true &&
      !index.spec.partialFilterExpression &&
      coveredByEqualities(matcher.filter, index, plan.intervals.length)
    ) {
      const counted = index.countPoints(plan.intervals);
      if (counted !== null) return counted;
    }
    return this.query(matcher, { hint }).length;
  }

  /**
   * Candidate records for a plan, each at most once. Lazy: the collection must not be written
   * while the generator is being consumed (query() collects before anyone writes).
   */
  private *candidates(plan: Plan, reverseNatural: boolean): Generator<StoredRecord> {
    if (!plan.index) {
      yield* reverseNatural ? [...this.records.values()].reverse() : this.records.values();
      return;
    }
    const seen = plan.index.multikey ? new Set<number>() : null;
    for (const rid of plan.index.scan(plan.intervals, plan.reverse)) {
      this.metrics.scanned++;
      if (seen) {
        if (seen.has(rid)) continue;
        seen.add(rid);
      }
      const record = this.records.get(rid);
      if (record) yield record;
    }
  }
}

/**
 * True when `filter` holds only equality or `$in` conditions (at its top level or in a top-level
 * `$and`) on exactly the first `bounded` fields of `index`, one each, with values an index entry
 * compares equal to only when the query would match: no null (it matches missing fields),
 * arrays, embedded documents or regular expressions.
 */
function coveredByEqualities(filter: Document, index: BTreeIndex, bounded: number): boolean {
  const { conditions, complete } = topLevelConditions(filter);
  if (!complete || conditions.size !== bounded) return false;
  const paths = index.fields.slice(0, bounded).map((field) => field.path);
  return [...conditions].every(
    ([path, [condition, ...more]]) =>
      paths.includes(path) && more.length === 0 && isEquality(condition),
  );
}

/** `value`, `{$eq: value}` or `{$in: [values]}` with values only equal entries can match. */
function isEquality(condition: unknown): boolean {
  if (!isPlainObject(condition)) return isScalar(condition);
  const operators = Object.keys(condition);
  if (operators.length !== 1) return false;
  if (operators[0] === '$eq') return isScalar(condition.$eq);
  return (
    operators[0] === '$in' &&
    Array.isArray(condition.$in) &&
    condition.$in.length > 0 &&
    condition.$in.every(isScalar)
  );
}

const isScalar = (value: unknown): boolean =>
  value !== null &&
  value !== undefined &&
  !Array.isArray(value) &&
  !(value instanceof RegExp) &&
  !isPlainObject(value) &&
  !(typeof value === 'object' && '_bsontype' in value && value._bsontype === 'BSONRegExp');

const INDEX_OPTION_KEYS = [
  'unique',
  'sparse',
  'expireAfterSeconds',
  'partialFilterExpression',
] as const;

function sameOptions(a: IndexSpec, b: IndexSpec): boolean {
  return INDEX_OPTION_KEYS.every(
    (key) => JSON.stringify(a[key] ?? null) === JSON.stringify(b[key] ?? null),
  );
}

function samePartial(a: IndexSpec, b: IndexSpec): boolean {
  return (
    JSON.stringify(a.partialFilterExpression ?? null) ===
    JSON.stringify(b.partialFilterExpression ?? null)
  );
}
