import { UUID } from 'bson';
import { isPlainObject, toView, valuesEqual, type Document } from '../bson/values';
import { ErrorCode, fail } from '../errors';
import type { Position } from 'geojson';
import { distanceTo, locationsAt, type DistanceUnits, type NearQuery } from '../geo/geo-query';
import type { StoredLocation } from '../geo/geo-value';
import type { Matcher } from '../query/matcher';
import { planQuery, topLevelConditions, type Plan, type SortSpec } from '../query/planner';
import { sortItems } from '../query/sort';
import type { QueryParameters } from '../server-parameters';
import type { TextIndexDefinition } from '../text/text-index';
import { TextSearch, type TextOperator } from '../text/text-search';
import { parseCollation, type Collation } from '../query/collation';
import { compileValidator, type DocumentValidator } from '../validation/document-validator';
import { BTreeIndex, type FieldInterval, type IndexSpec } from './btree-index';
import type { TimeseriesOptions } from './collection-options';
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

/** A record a query produced, with its text score (`$text`) or distance (`$near`). */
export interface Hit {
  readonly record: StoredRecord;
  readonly score?: number;
  readonly distance?: number;
  /** The stored location the distance was measured to. */
  readonly location?: StoredLocation;
}

export interface QueryOptions {
  sort?: SortSpec;
  skip?: number;
  limit?: number;
  hint?: unknown;
}

export const ID_INDEX_NAME = '_id_';

/** Databases `notablescan` leaves alone, as mongod does. */
const INTERNAL_DATABASES = new Set(['admin', 'local', 'config']);

/** Work counters, as mongod reports them in serverStatus `metrics.queryExecutor`. */
export interface QueryMetrics {
  /** Index entries examined. */
  scanned: number;
  /** Documents examined (tested against a filter). */
  scannedObjects: number;
}

/** One query's work, as explain's executionStats reports it. */
export interface QueryWork {
  keysExamined: number;
  docsExamined: number;
  /** Documents that passed the filter (before skip and limit). */
  matched: number;
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
  private bytes = 0;
  private readonly metrics: QueryMetrics;
  private readonly parameters: QueryParameters;

  constructor(
    db: string,
    name: string,
    options: Document = {},
    uuid: UUID = new UUID(),
    metrics: QueryMetrics = { scanned: 0, scannedObjects: 0 },
    parameters: QueryParameters = { notablescan: false },
  ) {
    this.parameters = parameters;
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

  /** True for a view (`create` with `viewOn`): it holds no documents and refuses writes. */
  get isView(): boolean {
    return typeof this.currentOptions.viewOn === 'string';
  }

  /** The collation operations on this collection use when they name none (`create`'s option). */
  get defaultCollation(): Collation | undefined {
    return parseCollation(this.currentOptions.collation);
  }

  /** The compiled validator, or null when the collection has none. */
  get validator(): DocumentValidator | null {
    if (this.compiledValidator === undefined)
      this.compiledValidator = compileValidator(this.currentOptions);
    return this.compiledValidator;
  }

  /** A capped collection's limits (`size` in bytes, `max` documents), or null. */
  get capped(): { size: number; max: number } | null {
    const { capped, size, max } = this.currentOptions;
    if (capped !== true) return null;
    return { size: Number(size), max: max === undefined ? Infinity : Number(max) };
  }

  /** A clustered collection keeps its records in `_id` order: that is its natural order. */
  get clustered(): boolean {
    return this.currentOptions.clusteredIndex !== undefined;
  }

  /** A time-series collection's options, or null. */
  get timeseries(): TimeseriesOptions | null {
    const timeseries = this.currentOptions.timeseries;
    return isPlainObject(timeseries) ? (timeseries as unknown as TimeseriesOptions) : null;
  }

  get count(): number {
    return this.records.size;
  }

  /** A time-series measurement must hold a date in the time field (BadValue otherwise). */
  private checkTimeField(doc: Document): void {
    const timeseries = this.timeseries;
    if (timeseries && !(doc[timeseries.timeField] instanceof Date)) {
      fail(
        ErrorCode.BadValue,
        `'${timeseries.timeField}' must be present and contain a valid BSON UTC datetime value`,
      );
    }
  }

  /** The documents' total BSON size, kept up to date by every write. */
  get dataSize(): number {
    return this.bytes;
  }

  /**
   * The oldest records a capped collection must drop to be within its limits again, in natural
   * (insertion) order.
   */
  cappedOverflow(): StoredRecord[] {
    const limits = this.capped;
    if (!limits) return [];
    const out: StoredRecord[] = [];
    let count = this.records.size;
    let bytes = this.bytes;
    for (const record of this.records.values()) {
      if (count <= limits.max && bytes <= limits.size) break;
      out.push(record);
      count--;
      bytes -= record.size;
    }
    return out;
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
    this.checkTimeField(doc);
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
    this.bytes += size;
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
    this.checkTimeField(doc);
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
    this.bytes += size - record.size;
    return updated;
  }

  remove(record: StoredRecord): void {
    if (!this.records.delete(record.rid)) return;
    this.bytes -= record.size;
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
    const text =
      spec.key._fts === 'text' ? this.indexList().find((index) => index.text) : undefined;
    if (text && !(sameKey(text) && sameOptions(text.spec, spec))) {
      fail(
        ErrorCode.IndexOptionsConflict,
        `An equivalent index already exists with a different name and options. Requested index: ${JSON.stringify(spec)}, existing index: ${JSON.stringify(text.spec)}`,
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
    this.bytes = 0;
    for (const index of this.indexes.values()) index.clear();
  }

  plan(filter: Document, sort: SortSpec, hint?: unknown, collation?: Collation): Plan {
    return planQuery(filter, sort, this.indexes.values(), hint, collation);
  }

  /**
   * The records matching `matcher`, sorted, skipped and limited (see {@link hits}), as an array:
   * for writes, which must see the whole set before changing it. `work`, when given, also counts
   * the index entries and documents examined (explain).
   */
  query(matcher: Matcher, options: QueryOptions = {}, work?: QueryWork): StoredRecord[] {
    return Array.from(this.hits(matcher, options, work), (hit) => hit.record);
  }

  /**
   * The records matching `matcher`, sorted, skipped and limited, produced lazily: a cursor pulls
   * them batch by batch, and other commands may write in between (a record changed or removed
   * before the cursor reaches it is seen as it is then, as in mongod). Uses the planner's index
   * when it bounds the filter or yields the sort order. What must be ordered by something no
   * index provides is collected first: a sort without an index, `$text` (ordered by nothing, but
   * scored term by term) and `$near` (ordered by distance).
   */
  *hits(matcher: Matcher, options: QueryOptions = {}, work?: QueryWork): Generator<Hit> {
    const sort = options.sort ?? [];
    const skip = options.skip ?? 0;
    const limit = options.limit ?? 0;
    if (sort.some((key) => key[2] === 'textScore') && !matcher.text)
      fail(40218, 'query requires text score metadata, but it is not available');
    let source: Iterable<Hit>;
    let ordered = sort.length === 0;
    if (matcher.text) source = this.textHits(matcher, matcher.text, work);
    else if (matcher.near) source = this.nearHits(matcher, matcher.near, work);
    else {
      const natural = sort.length === 1 && sort[0]?.[0] === '$natural';
      const plan = natural
        ? this.plan({}, [], { $natural: 1 })
        : this.plan(matcher.filter, sort, options.hint, matcher.collation);
      if (!plan.index && this.parameters.notablescan && !INTERNAL_DATABASES.has(this.db)) {
        fail(
          ErrorCode.NoQueryExecutionPlans,
          "error processing query: planner returned error :: caused by :: No indexed plans available, and running with 'notablescan'",
        );
      }
      ordered ||= natural || plan.providesSort;
      source = this.matching(matcher, plan, natural && sort[0]?.[1] === -1, work);
    }
    if (!ordered) {
      source = sortItems(
        [...source],
        sort,
        (hit) => hit.record.doc,
        (hit) => hit.score ?? 0,
        matcher.collation,
      );
    }
    let skipped = 0;
    let produced = 0;
    for (const hit of source) {
      if (skipped < skip) {
        skipped++;
        continue;
      }
      yield hit;
      produced++;
      if (limit > 0 && produced >= limit) return;
    }
  }

  private *matching(
    matcher: Matcher,
    plan: Plan,
    reverseNatural: boolean,
    work: QueryWork | undefined,
  ): Generator<Hit> {
    for (const record of this.candidates(plan, reverseNatural, work)) {
      this.metrics.scannedObjects++;
      if (work) work.docsExamined++;
      if (!matcher.test(record.view)) continue;
      if (work) work.matched++;
      yield { record };
    }
  }

  /** The text index, or IndexNotFound (27) as mongod answers a `$text` query without one. */
  textIndex(): BTreeIndex & { text: TextIndexDefinition } {
    for (const index of this.indexes.values()) {
      if (index.text && !index.spec.hidden)
        return index as BTreeIndex & { text: TextIndexDefinition };
    }
    return fail(ErrorCode.IndexNotFound, 'text index required for $text query');
  }

  /**
   * `$text`: scans the text index for each term (behind equalities on the index's leading plain
   * fields, which mongod requires), adds up each document's term scores from the entries, then
   * tests the rest of the filter and, when the search has phrases, negations or sensitivity
   * options, the document itself.
   */
  private *textHits(
    matcher: Matcher,
    operator: TextOperator,
    work: QueryWork | undefined,
  ): Generator<Hit> {
    const index = this.textIndex();
    const search = new TextSearch(operator, index.text);
    const { conditions } = topLevelConditions(matcher.filter);
    const prefix = index.text.before.map((path): FieldInterval[] => {
      const [condition] = conditions.get(path) ?? [];
      const value = isPlainObject(condition) && '$eq' in condition ? condition.$eq : condition;
      if (
        value === undefined ||
        isPlainObject(value) ||
        Array.isArray(value) ||
        value instanceof RegExp
      ) {
        fail(
          ErrorCode.NoQueryExecutionPlans,
          `error processing query: ns=${this.ns} planner returned error :: caused by :: failed to use text index to satisfy $text query (if text index is compound, are equality predicates given for all prefix fields?)`,
        );
      }
      return [{ low: value, lowInclusive: true, high: value, highInclusive: true }];
    });
    const scoreAt = index.text.before.length + 1;
    const scores = new Map<number, number>();
    for (const term of search.terms) {
      const bounds = [
        ...prefix,
        [{ low: term, lowInclusive: true, high: term, highInclusive: true }],
      ];
      for (const key of index.scanKeys(bounds)) {
        this.metrics.scanned++;
        if (work) work.keysExamined++;
        const rid = key[key.length - 1] as number;
        scores.set(rid, (scores.get(rid) ?? 0) + (key[scoreAt] as number));
      }
    }
    for (const [rid, score] of scores) {
      const record = this.records.get(rid);
      if (!record) continue;
      this.metrics.scannedObjects++;
      if (work) work.docsExamined++;
      if (!matcher.test(record.view) || !search.matches(record.view)) continue;
      if (work) work.matched++;
      yield { record, score };
    }
  }

  /**
   * The geo index `$near`/`$nearSphere`/`$geoNear` uses for `path` (a GeoJSON point needs a
   * 2dsphere index), or undefined.
   */
  geoIndexFor(path: string | undefined, geoJson: boolean): BTreeIndex | undefined {
    const indexes = [...this.indexes.values()].filter(
      (index) =>
        !index.spec.hidden &&
        index.fields.some(
          (f) =>
            f.geo && (path === undefined || f.path === path) && (!geoJson || f.geo === '2dsphere'),
        ),
    );
    return indexes.find((index) => index.fields.some((f) => f.geo === '2d')) ?? indexes[0];
  }

  /** `$near` and `$nearSphere`: every indexed location measured, nearest first. */
  private nearHits(matcher: Matcher, near: NearQuery, work: QueryWork | undefined): Iterable<Hit> {
    const index = this.geoIndexFor(near.path, near.geoJson);
    if (!index) {
      fail(
        ErrorCode.NoQueryExecutionPlans,
        `error processing query: ns=${this.ns} planner returned error :: caused by :: unable to find index for $geoNear query`,
      );
    }
    const flat = index.fields.find((f) => f.path === near.path)?.geo === '2d';
    const units: DistanceUnits = near.geoJson
      ? 'meters'
      : flat && !near.sphere
        ? 'planar'
        : 'radians';
    return this.nearest(
      index,
      near.path,
      near.point,
      units,
      matcher,
      near.minDistance,
      near.maxDistance,
      work,
    );
  }

  /**
   * Records holding locations at `path` in a geo index, with their distance from `point` in
   * `units` (the nearest of their locations), within [min, max], matching `matcher`, nearest
   * first. Shared by `$near` and the `$geoNear` stage.
   */
  nearest(
    index: BTreeIndex,
    path: string,
    point: Position,
    units: DistanceUnits,
    matcher: Matcher,
    minDistance = 0,
    maxDistance = Infinity,
    work?: QueryWork,
  ): Hit[] {
    const hits: Hit[] = [];
    const seen = new Set<number>();
    for (const rid of index.scan([])) {
      this.metrics.scanned++;
      if (work) work.keysExamined++;
      if (seen.has(rid)) continue;
      seen.add(rid);
      const record = this.records.get(rid);
      if (!record) continue;
      this.metrics.scannedObjects++;
      if (work) work.docsExamined++;
      let best = Infinity;
      let location: StoredLocation | undefined;
      for (const candidate of locationsAt(record.view, path)) {
        const d = distanceTo(point, candidate, units);
        if (d < best) [best, location] = [d, candidate];
      }
      if (best < minDistance || best > maxDistance || !matcher.test(record.view)) continue;
      if (work) work.matched++;
      hits.push({ record, distance: best, ...(location ? { location } : {}) });
    }
    return hits.sort((a, b) => (a.distance as number) - (b.distance as number));
  }

  /**
   * How many records match: from the index alone when the filter is nothing but equalities (or
   * `$in` lists) on the leading fields of a plain, single-valued index — a count scan, as mongod
   * does, and O(log n) here — otherwise by running the query.
   */
  countMatching(matcher: Matcher, hint?: unknown): number {
    const plan = this.plan(matcher.filter, [], hint, matcher.collation);
    const index = plan.index;
    if (
      index &&
      !index.multikey &&
      index.spec.sparse !== true &&
      !index.spec.partialFilterExpression &&
      // Hash collisions would be counted: a hashed index only yields candidates.
      !index.fields.some((field) => field.hashed) &&
      coveredByEqualities(matcher.filter, index, plan.intervals.length)
    ) {
      const counted = index.countPoints(plan.intervals);
      if (counted !== null) return counted;
    }
    let n = 0;
    const hits = this.hits(matcher, { hint });
    while (!hits.next().done) n++;
    return n;
  }

  /**
   * Candidate records for a plan, each at most once, read when reached: a record written while
   * the generator is suspended is seen as it is then, a removed one is skipped.
   */
  private *candidates(
    plan: Plan,
    reverseNatural: boolean,
    work: QueryWork | undefined,
  ): Generator<StoredRecord> {
    if (!plan.index && this.clustered) {
      // A clustered collection's natural order is its `_id` order (a scan, not an index scan).
      const ids = this.indexes.get(ID_INDEX_NAME) as BTreeIndex;
      for (const rid of ids.scan([], reverseNatural)) {
        const record = this.records.get(rid);
        if (record) yield record;
      }
      return;
    }
    if (!plan.index) {
      yield* reverseNatural ? [...this.records.values()].reverse() : this.records.values();
      return;
    }
    const seen = plan.index.multikey ? new Set<number>() : null;
    for (const rid of plan.index.scan(plan.intervals, plan.reverse)) {
      this.metrics.scanned++;
      if (work) work.keysExamined++;
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
  'weights',
  'default_language',
  'language_override',
  'bits',
  'min',
  'max',
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
