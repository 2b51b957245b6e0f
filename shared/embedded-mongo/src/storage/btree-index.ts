import BTree from 'sorted-btree';
import { Query } from 'mingo';
import { compareValues, toView, valuesEqual, type Document } from '../bson/values';
import { fail, ErrorCode } from '../errors';
import { MISSING, valuesAtPath } from '../query/paths';
import { compareCollated, parseCollation, type Collation } from '../query/collation';
import { QUERY_OPTIONS } from '../query/matcher';
import { hashedKey, refuseArray } from './hashed-key';
import { formatKeyValue } from './key-format';
import { GeoValueError, storedLocations, type GeoIndexKind } from '../geo/geo-value';
import { TextIndexDefinition } from '../text/text-index';

/** Sentinels that sort below / above every value in any index component, whatever its direction. */
export const LOW: unique symbol = Symbol('low');
export const HIGH: unique symbol = Symbol('high');

/** An index entry: one value per indexed field, then the record id. */
export type IndexKey = unknown[];

/** An index definition as `createIndexes` receives it and `listIndexes` returns it. */
export interface IndexSpec {
  v?: number;
  key: Document;
  name: string;
  unique?: boolean;
  sparse?: boolean;
  partialFilterExpression?: Document;
  expireAfterSeconds?: number;
  /** Maintained (and unique) as any index, but never chosen by the planner nor hintable. */
  hidden?: boolean;
  [option: string]: unknown;
}

export interface IndexField {
  path: string;
  direction: 1 | -1;
  /** The index's collation: its string keys are ordered (and unique) under it. */
  collation?: Collation;
  /** A geospatial field: its entries say that the document holds valid locations there. */
  geo?: GeoIndexKind;
  /** A hashed field: its entries are {@link hashedKey}s of the values. */
  hashed?: true;
}

/** One bound of an index scan on a single field: a closed or open interval of values. */
export interface FieldInterval {
  low: unknown;
  lowInclusive: boolean;
  high: unknown;
  highInclusive: boolean;
}

/**
 * A secondary (or `_id`) index: a B+tree of `[values..., recordId]` ordered in BSON order with each
 * field's direction, so lookups, range scans and unique checks are O(log n). Arrays make an index
 * multikey: one entry per element, as in MongoDB.
 */
export class BTreeIndex {
  readonly spec: IndexSpec;
  readonly fields: readonly IndexField[];
  readonly unique: boolean;
  /** The collation of the index (`collation` option); undefined for binary order. */
  readonly collation: Collation | undefined;
  /** True once any indexed document held an array in an indexed field. */
  multikey = false;
  /** For a text index: how it reads documents (its key holds `_fts`, `_ftsx`). */
  readonly text: TextIndexDefinition | null;
  private readonly tree: BTree<IndexKey, true>;
  private readonly partialFilter: Query | null;

  constructor(spec: IndexSpec) {
    this.spec = spec;
    this.collation = parseCollation(spec.collation);
    const collation = this.collation ? { collation: this.collation } : {};
    this.fields = Object.entries(spec.key).map(([path, direction]) => ({
      path,
      direction: direction === -1 ? -1 : 1,
      ...collation,
      ...(direction === '2d' || direction === '2dsphere' ? { geo: direction } : {}),
      ...(direction === 'hashed' ? { hashed: true as const } : {}),
    }));
    this.text = spec.key._fts === 'text' ? new TextIndexDefinition(spec) : null;
    // A document has an entry per term in a text index: always dedupe.
    this.multikey = this.text !== null;
    this.unique = spec.unique === true || spec.name === '_id_';
    this.partialFilter = spec.partialFilterExpression
      ? new Query(toView(spec.partialFilterExpression) as Document, QUERY_OPTIONS)
      : null;
    const fields = this.fields;
    this.tree = new BTree<IndexKey, true>(undefined, (a, b) => compareKeys(a, b, fields));
  }

  get name(): string {
    return this.spec.name;
  }

  /** Changes an option that does not change the entries (collMod's `hidden`, `expireAfterSeconds`). */
  setOption(option: 'hidden' | 'expireAfterSeconds', value: boolean | number | undefined): void {
    const spec: Record<string, unknown> = this.spec;
    if (value === undefined || value === false) delete spec[option];
    else spec[option] = value;
  }

  get size(): number {
    return this.tree.size;
  }

  /** A text or geospatial index: the planner leaves it to `$text` and `$near` queries. */
  get special(): boolean {
    return this.text !== null || this.fields.some((field) => field.geo !== undefined);
  }

  /**
   * The entries a document contributes (without record id): none for a sparse or partial index
   * that excludes it. Throws CannotIndexParallelArrays when two indexed fields hold arrays.
   */
  keysFor(doc: Document, view: Document): unknown[][] {
    if (this.partialFilter && !this.partialFilter.test(view)) return [];
    if (this.text) return this.textKeys(this.text, doc, view);
    const perField = this.fields.map((field) =>
      field.geo
        ? this.geoKey(field.path, field.geo, doc, view)
        : field.hashed
          ? hashedKeys(valuesAtPath(doc, field.path))
          : expandForIndex(valuesAtPath(doc, field.path)),
    );
    if (this.spec.sparse === true && perField.every((values) => values.every((v) => v === null))) {
      const present = this.fields.some((field) =>
        valuesAtPath(doc, field.path).some((v) => v !== MISSING),
      );
      if (!present) return [];
    }
    const arrays = perField.filter((values) => values.length > 1).length;
    if (perField.some((values) => values.length === 0)) return [];
    if (arrays > 1) {
      fail(
        ErrorCode.CannotIndexParallelArrays,
        `cannot index parallel arrays [${this.fields.map((f) => f.path).join('] [')}]`,
      );
    }
    let combos: unknown[][] = [[]];
    for (const values of perField) {
      const next: unknown[][] = [];
      for (const combo of combos) for (const value of values) next.push([...combo, value]);
      combos = next;
    }
    return combos;
  }

  /**
   * One entry per term: the plain fields before and after the text fields, then the term and its
   * score (as mongod's `_fts`/`_ftsx`), so a `$text` scan reads scores without the documents.
   */
  private textKeys(text: TextIndexDefinition, doc: Document, view: Document): unknown[][] {
    const scores = text.termScores(view);
    if (scores.size === 0) return [];
    const single = (path: string): unknown => {
      const values = expandForIndex(valuesAtPath(doc, path));
      if (values.length > 1)
        fail(16675, 'cannot have an array in a prefix or suffix field of a text index');
      return values[0];
    };
    const before = text.before.map(single);
    const after = text.after.map(single);
    return [...scores].map(([term, score]) => [...before, term, score, ...after]);
  }

  /**
   * A geo field's key: none when the document holds no location there (geo indexes are sparse
   * on that field), one marker entry when it holds valid ones; 16755 (2dsphere) or 13026 (2d)
   * for a malformed location, as mongod refuses to index it.
   */
  private geoKey(path: string, kind: GeoIndexKind, doc: Document, view: Document): unknown[] {
    let count = 0;
    for (const value of valuesAtPath(view, path)) {
      if (value === MISSING) continue;
      try {
        const locations = storedLocations(value, kind);
        if (kind === '2d')
          for (const location of locations) this.checkFlatBounds(location.geometry);
        count += locations.length;
      } catch (error) {
        if (!(error instanceof GeoValueError)) throw error;
        if (kind === '2d') fail(13026, error.message);
        fail(16755, `Can't extract geo keys: ${formatKeyValue(doc)}  ${error.message}`);
      }
    }
    return count > 0 ? [kind] : [];
  }

  /** A 2d index holds points within [min, max) on both axes (default [-180, 180)). */
  private checkFlatBounds(geometry: { type: string; coordinates?: unknown }): void {
    const min = typeof this.spec.min === 'number' ? this.spec.min : -180;
    const max = typeof this.spec.max === 'number' ? this.spec.max : 180;
    const [x, y] = geometry.coordinates as [number, number];
    if (x < min || x >= max || y < min || y >= max)
      fail(13027, `point not in interval of [ ${min}, ${max} )`);
  }

  /** Notes whether a document makes this index multikey (sorting through it is then unsafe). */
  markMultikey(doc: Document): void {
    if (this.multikey) return;
    this.multikey = this.fields.some((field) =>
      valuesAtPath(doc, field.path).some((value) => Array.isArray(value)),
    );
  }

  /** Throws DuplicateKey when a unique index already holds `values` for another record. */
  checkUnique(values: unknown[], recordId: number, ns: string): void {
    if (!this.unique) return;
    const found = this.tree.getPairOrNextHigher([...values, -Infinity]);
    if (!found) return;
    const [key] = found;
    if (key[key.length - 1] === recordId) {
      const next = this.tree.nextHigherPair(key);
      if (!next || !sameValues(next[0], values, this.collation)) return;
    } else if (!sameValues(key, values, this.collation)) return;
    const keyValue: Document = {};
    this.fields.forEach((field, i) => (keyValue[field.path] = values[i] ?? null));
    fail(
      ErrorCode.DuplicateKey,
      `E11000 duplicate key error collection: ${ns} index: ${this.name} dup key: ${formatKeyValue(keyValue)}`,
      { keyPattern: this.spec.key, keyValue },
    );
  }

  add(values: unknown[], recordId: number): void {
    this.tree.set([...values, recordId], true);
  }

  remove(values: unknown[], recordId: number): void {
    this.tree.delete([...values, recordId]);
  }

  clear(): void {
    this.tree.clear();
  }

  /**
   * Record ids in index order whose entries fall within `intervals` (one list of intervals per
   * leading field; fields beyond them are unbounded), optionally in reverse order. A record may
   * appear more than once in a multikey index: callers dedupe.
   */
  *scan(intervals: FieldInterval[][], reverse = false): Generator<number> {
    for (const key of this.scanKeys(intervals, reverse)) yield key[key.length - 1] as number;
  }

  /**
   * The entries (values, then record id) {@link scan} walks. The tree is read in chunks and
   * re-entered after the last key of each chunk, so no tree iterator is held across a yield: a
   * cursor may stay suspended here while other commands write to the index.
   */
  *scanKeys(intervals: FieldInterval[][], reverse = false): Generator<IndexKey> {
    const ranges = expandRanges(intervals, this.fields);
    if (reverse) ranges.reverse();
    for (const [low, high] of ranges) {
      let from: IndexKey = reverse ? high : low;
      let skipFrom = false;
      for (;;) {
        const chunk: IndexKey[] = [];
        let done = true;
        for (const [key] of reverse ? this.tree.entriesReversed(from) : this.tree.entries(from)) {
          if (skipFrom && compareKeys(key, from, this.fields) === 0) continue;
          if (compareKeys(key, reverse ? low : high, this.fields) * (reverse ? -1 : 1) > 0) break;
          if (chunk.length === SCAN_CHUNK) {
            done = false;
            break;
          }
          chunk.push(key);
        }
        for (const key of chunk) if (withinIntervals(key, intervals, this.collation)) yield key;
        if (done || chunk.length === 0) break;
        from = chunk[chunk.length - 1] as IndexKey;
        skipFrom = true;
      }
    }
  }

  /**
   * How many entries fall within `intervals` when every interval is a point (equalities and
   * `$in`), in O(log n) per point combination: the B+tree's inner nodes know their subtree sizes,
   * so a count is the difference of two ranks, not a walk over the matching entries. Null when an
   * interval is a range (a range scan needs {@link scan}'s per-key checks).
   */
  countPoints(intervals: FieldInterval[][]): number | null {
    if (!intervals.every((field) => field.every(isPointInterval))) return null;
    let count = 0;
    for (const [low, high] of expandRanges(intervals, this.fields)) {
      count += this.rank(high) - this.rank(low);
    }
    return count;
  }

  /** How many entries sort below `key` (a bound padded with LOW/HIGH, never an entry itself). */
  private rank(key: IndexKey): number {
    const compare = (a: IndexKey, b: IndexKey): number => compareKeys(a, b, this.fields);
    let node = (this.tree as unknown as { _root: TreeNode })._root;
    let below = 0;
    while (node.children) {
      // keys[i] is the largest key under children[i]: skip whole subtrees that lie below `key`.
      let i = 0;
      while (i < node.keys.length && compare(node.keys[i] as IndexKey, key) < 0) {
        below += (node.children[i] as TreeNode).size();
        i++;
      }
      if (i === node.children.length) return below;
      node = node.children[i] as TreeNode;
    }
    return below + lowerBound(node.keys, key, compare);
  }

  /** Every entry's record id, for TTL sweeps and diagnostics. */
  *entries(): Generator<[unknown[], number]> {
    for (const [key] of this.tree.entries()) {
      yield [key.slice(0, -1), key[key.length - 1] as number];
    }
  }
}

/** How many index entries a scan reads from the tree at a time. */
const SCAN_CHUNK = 256;

/**
 * The node shape of sorted-btree 2.1 (pinned; not part of its typed API): a leaf holds sorted
 * keys; an inner node also holds `children`, with `keys[i]` the largest key under `children[i]`,
 * and `size()` the number of entries beneath it.
 */
interface TreeNode {
  keys: IndexKey[];
  children?: TreeNode[];
  size(): number;
}

/** The index of the first of the sorted `keys` that is not below `key`. */
function lowerBound(
  keys: IndexKey[],
  key: IndexKey,
  compare: (a: IndexKey, b: IndexKey) => number,
): number {
  let low = 0;
  let high = keys.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (compare(keys[middle] as IndexKey, key) < 0) low = middle + 1;
    else high = middle;
  }
  return low;
}

const isPointInterval = (interval: FieldInterval): boolean =>
  interval.lowInclusive &&
  interval.highInclusive &&
  interval.low !== LOW &&
  interval.high !== HIGH &&
  compareValues(interval.low, interval.high) === 0;

/** A hashed field's entry: the hash of its one value (null when missing; arrays refused). */
function hashedKeys(values: unknown[]): unknown[] {
  const [value] = values.filter((v) => v !== MISSING);
  if (values.length > 1 || Array.isArray(value)) refuseArray();
  return [hashedKey(value === undefined ? null : value)];
}

/** A field's values as index entries: missing -> null, arrays -> their distinct elements. */
function expandForIndex(values: unknown[]): unknown[] {
  const out: unknown[] = [];
  for (const value of values) {
    if (value === MISSING || value === undefined) out.push(null);
    else if (Array.isArray(value)) {
      // MongoDB indexes an empty array as undefined, which sorts and matches like null here.
      if (value.length === 0) out.push(null);
      for (const element of value) out.push(element === undefined ? null : element);
    } else out.push(value);
  }
  const distinct: unknown[] = [];
  for (const value of out) {
    if (!distinct.some((seen) => valuesEqual(seen, value))) distinct.push(value);
  }
  return distinct.length ? distinct : [null];
}

function compareComponent(
  a: unknown,
  b: unknown,
  direction: 1 | -1,
  collation?: Collation,
): number {
  if (a === b) return 0;
  if (a === LOW || b === HIGH) return -1;
  if (a === HIGH || b === LOW) return 1;
  return compareCollated(collation, a, b) * direction;
}

function compareKeys(a: IndexKey, b: IndexKey, fields: readonly IndexField[]): number {
  for (let i = 0; i < fields.length; i++) {
    const field = fields[i] as IndexField;
    const d = compareComponent(a[i], b[i], field.direction, field.collation);
    if (d !== 0) return d;
  }
  const ra = a[fields.length];
  const rb = b[fields.length];
  return (
    compareComponent(ra, rb, 1) ||
    ((ra as number) < (rb as number) ? -1 : (ra as number) > (rb as number) ? 1 : 0)
  );
}

function sameValues(key: IndexKey, values: unknown[], collation: Collation | undefined): boolean {
  return values.every((value, i) => compareCollated(collation, key[i], value) === 0);
}

/** Tree-order [low, high] key pairs covering the cartesian product of the intervals. */
function expandRanges(
  intervals: FieldInterval[][],
  fields: readonly IndexField[],
): [IndexKey, IndexKey][] {
  let ranges: [IndexKey, IndexKey][] = [[[], []]];
  intervals.forEach((fieldIntervals, i) => {
    const direction = (fields[i] as IndexField).direction;
    const next: [IndexKey, IndexKey][] = [];
    for (const [low, high] of ranges) {
      for (const interval of fieldIntervals) {
        // A descending component's tree order runs from its highest value down: its scan starts
        // at the interval's high end and stops at its low one, and an open end (the sentinel
        // beyond every value) becomes the other sentinel, since LOW and HIGH keep their place in
        // the tree whatever the direction.
        const [lo, hi] =
          direction === 1
            ? [interval.low, interval.high]
            : [
                interval.high === HIGH ? LOW : interval.high,
                interval.low === LOW ? HIGH : interval.low,
              ];
        next.push([
          [...low, lo],
          [...high, hi],
        ]);
      }
    }
    ranges = next;
  });
  return ranges.map(([low, high]) => {
    while (low.length <= fields.length) low.push(LOW);
    while (high.length <= fields.length) high.push(HIGH);
    return [low, high];
  });
}

function withinIntervals(
  key: IndexKey,
  intervals: FieldInterval[][],
  collation: Collation | undefined,
): boolean {
  return intervals.every((fieldIntervals, i) =>
    fieldIntervals.some((interval) => within(key[i], interval, collation)),
  );
}

function within(
  value: unknown,
  interval: FieldInterval,
  collation: Collation | undefined,
): boolean {
  const low = interval.low === LOW ? -1 : compareComponent(interval.low, value, 1, collation);
  if (low > 0 || (low === 0 && !interval.lowInclusive)) return false;
  const high = interval.high === HIGH ? 1 : compareComponent(interval.high, value, 1, collation);
  return !(high < 0 || (high === 0 && !interval.highInclusive));
}
