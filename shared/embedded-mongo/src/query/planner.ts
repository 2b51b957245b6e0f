import { compareValues, isNumeric, isPlainObject, type Document } from '../bson/values';
import { compareCollated, type Collation } from './collation';
import { ErrorCode, fail } from '../errors';
import { HIGH, LOW, type BTreeIndex, type FieldInterval } from '../storage/btree-index';
import { hashedKey } from '../storage/hashed-key';

/**
 * A sort specification as `find` and `$sort` take it, in field order. `{score: {$meta:
 * 'textScore'}}` becomes `['score', -1, 'textScore']`: by text score, highest first.
 */
export type SortSpec = [path: string, direction: 1 | -1, meta?: 'textScore'][];

/** How to produce candidate records for a query. */
export interface Plan {
  /** The index to scan, or null for a collection scan in natural order. */
  index: BTreeIndex | null;
  /** Bounds on the index's leading fields (empty: the whole index). */
  intervals: FieldInterval[][];
  /** Walk the index backwards (to satisfy a sort in the opposite direction). */
  reverse: boolean;
  /** Records come out in the requested sort order: no sort needed. */
  providesSort: boolean;
}

const COLLECTION_SCAN: Plan = { index: null, intervals: [], reverse: false, providesSort: false };

/** Parses and validates a sort document (`{a: 1, b: -1}`). */
export function parseSort(sort: unknown): SortSpec {
  if (sort === undefined || sort === null) return [];
  if (!isPlainObject(sort))
    fail(ErrorCode.TypeMismatch, 'Expected field sort to be of type object');
  return Object.entries(sort).map(([path, direction]): SortSpec[number] => {
    const d = Number(direction);
    if (d !== 1 && d !== -1) {
      if (isPlainObject(direction) && '$meta' in direction) {
        if (direction.$meta === 'textScore' && Object.keys(direction).length === 1)
          return [path, -1, 'textScore'];
        fail(
          ErrorCode.NotImplemented,
          `$meta sort by ${JSON.stringify(direction.$meta)} is not supported by the embedded MongoDB engine`,
        );
      }
      if (!isNumeric(direction)) {
        fail(15974, "$sort key ordering must be specified using a number or {$meta: 'textScore'}");
      }
      fail(15975, '$sort key ordering must be 1 (for ascending) or -1 (for descending)');
    }
    return [path, d];
  });
}

/**
 * Conditions on top-level paths, including those inside a top-level `$and`; `complete` is false
 * when the filter also holds clauses these do not capture (`$or`, `$expr`, a malformed `$and`, …).
 */
export function topLevelConditions(filter: Document): {
  conditions: Map<string, unknown[]>;
  complete: boolean;
} {
  const conditions = new Map<string, unknown[]>();
  let complete = true;
  const add = (clause: Document): void => {
    for (const [key, value] of Object.entries(clause)) {
      if (key === '$and' && Array.isArray(value)) {
        for (const inner of value) {
          if (isPlainObject(inner)) add(inner);
          else complete = false;
        }
      } else if (!key.startsWith('$')) {
        conditions.set(key, [...(conditions.get(key) ?? []), value]);
      } else complete = false;
    }
  };
  add(filter);
  return { conditions, complete };
}

/**
 * Fields every branch of a top-level `$or` (also one inside a top-level `$and`) has conditions
 * on, with each branch's conditions: a keyset page's `$or: [{name: {$gt: v}}, {name: v, _id:
 * {$gt: id}}]` bounds `name` from `v` on, though neither branch alone holds for every match.
 */
function orConditions(filter: Document): Map<string, unknown[][]> {
  const found = new Map<string, unknown[][]>();
  const add = (clause: Document): void => {
    for (const [key, value] of Object.entries(clause)) {
      if (key === '$and' && Array.isArray(value)) {
        for (const inner of value) if (isPlainObject(inner)) add(inner);
      } else if (key === '$or' && Array.isArray(value) && value.length > 0) {
        if (!value.every(isPlainObject)) continue;
        const branches = (value as Document[]).map(
          (branch) => topLevelConditions(branch).conditions,
        );
        const [head, ...others] = branches;
        for (const field of head?.keys() ?? []) {
          if (found.has(field) || !others.every((branch) => branch.has(field))) continue;
          found.set(
            field,
            branches.map((branch) => branch.get(field) ?? []),
          );
        }
      }
    }
  };
  add(filter);
  return found;
}

/** Compares interval bounds (LOW and HIGH beyond every value) in an index's string order. */
function compareBounds(collation: Collation | undefined, a: unknown, b: unknown): number {
  if (a === b) return 0;
  if (a === LOW || b === HIGH) return -1;
  if (a === HIGH || b === LOW) return 1;
  return compareCollated(collation, a, b);
}

/**
 * One interval covering every branch's intervals of a field (in the index's order, so under its
 * collation), or null when a branch does not bound the field. A cover may take in values between
 * the branches' intervals: the matcher drops them.
 */
function coveringInterval(
  branches: unknown[][],
  collation: Collation | undefined,
): FieldInterval[] | null {
  let cover: FieldInterval | null = null;
  for (const conditions of branches) {
    const intervals = intervalsFor(conditions);
    if (!intervals) return null;
    for (const interval of intervals) {
      if (!cover) {
        cover = { ...interval };
        continue;
      }
      const low = compareBounds(collation, interval.low, cover.low);
      if (low < 0) [cover.low, cover.lowInclusive] = [interval.low, interval.lowInclusive];
      else if (low === 0) cover.lowInclusive ||= interval.lowInclusive;
      const high = compareBounds(collation, interval.high, cover.high);
      if (high > 0) [cover.high, cover.highInclusive] = [interval.high, interval.highInclusive];
      else if (high === 0) cover.highInclusive ||= interval.highInclusive;
    }
  }
  return cover ? [cover] : null;
}

const isPointValue = (value: unknown): boolean =>
  !Array.isArray(value) &&
  !(value instanceof RegExp) &&
  !(isPlainObject(value) && Object.keys(value).some((k) => k.startsWith('$')));

const point = (value: unknown): FieldInterval => ({
  low: value,
  lowInclusive: true,
  high: value,
  highInclusive: true,
});

/**
 * Intervals for one field from its conditions, or null when they cannot bound an index scan.
 * Ranges are not type-bracketed: the scan may return extra candidates that the matcher drops.
 */
function intervalsFor(conditions: unknown[]): FieldInterval[] | null {
  let best: FieldInterval[] | null = null;
  for (const condition of conditions) {
    let intervals: FieldInterval[] | null = null;
    if (isPointValue(condition)) intervals = [point(condition)];
    else if (isPlainObject(condition)) {
      const ops = Object.keys(condition);
      if (ops.length === 1 && '$eq' in condition && isPointValue(condition.$eq)) {
        intervals = [point(condition.$eq)];
      } else if (ops.length === 1 && Array.isArray(condition.$in)) {
        const values = condition.$in as unknown[];
        if (values.length > 0 && values.every(isPointValue)) {
          const sorted = [...values].sort(compareValues);
          intervals = sorted
            .filter((v, i) => i === 0 || compareValues(v, sorted[i - 1]) !== 0)
            .map(point);
        }
      } else if (ops.every((op) => ['$gt', '$gte', '$lt', '$lte'].includes(op))) {
        const range: FieldInterval = {
          low: LOW,
          lowInclusive: true,
          high: HIGH,
          highInclusive: true,
        };
        for (const op of ops) {
          const value = condition[op];
          if (!isPointValue(value)) return null;
          if (op === '$gt' || op === '$gte') {
            range.low = value;
            range.lowInclusive = op === '$gte';
          } else {
            range.high = value;
            range.highInclusive = op === '$lte';
          }
        }
        intervals = [range];
      }
    }
    // Several conditions on one field (from $and): keep the tightest kind (points over ranges).
    if (intervals && (!best || (intervals.every(isPoint) && !best.every(isPoint))))
      best = intervals;
  }
  return best;
}

const isPoint = (interval: FieldInterval): boolean =>
  interval.low !== LOW &&
  interval.high !== HIGH &&
  compareValues(interval.low, interval.high) === 0;

/**
 * A hashed field's intervals: the hashes of equality points, in index order; null for a range,
 * which a hashed index cannot answer.
 */
function hashedPoints(intervals: FieldInterval[] | null): FieldInterval[] | null {
  if (!intervals || !intervals.every(isPoint)) return null;
  const hashes = intervals.map((interval) => hashedKey(interval.low)).sort(compareValues);
  return hashes.map(point);
}

interface Candidate {
  plan: Plan;
  score: number;
}

function evaluate(
  index: BTreeIndex,
  conditions: Map<string, unknown[]>,
  sort: SortSpec,
  alternatives: Map<string, unknown[][]> = new Map(),
): Candidate {
  const intervals: FieldInterval[][] = [];
  let equalityPrefix = 0;
  let score = 0;
  for (const field of index.fields) {
    const fieldConditions = conditions.get(field.path);
    const branches = alternatives.get(field.path);
    const valueIntervals =
      (fieldConditions ? intervalsFor(fieldConditions) : null) ??
      (branches ? coveringInterval(branches, index.collation) : null);
    const fieldIntervals = field.hashed ? hashedPoints(valueIntervals) : valueIntervals;
    if (!fieldIntervals) break;
    intervals.push(fieldIntervals);
    const single = fieldIntervals.length === 1 && isPoint(fieldIntervals[0] as FieldInterval);
    score += single ? 4 : fieldIntervals.every(isPoint) ? 3 : 2;
    if (!single) break;
    equalityPrefix++;
  }
  let providesSort = false;
  let reverse = false;
  const hashed = index.fields.some((field) => field.hashed);
  if (sort.length > 0 && !hashed && !index.multikey && intervals.length - equalityPrefix <= 1) {
    const rest = index.fields.slice(equalityPrefix);
    const multiPoint =
      intervals.length > equalityPrefix && (intervals[equalityPrefix]?.length ?? 0) > 1;
    // Sort fields that are pinned by equality need no order; the rest must follow the index.
    const sortRest = sort.filter(
      ([path]) => !index.fields.slice(0, equalityPrefix).some((f) => f.path === path),
    );
    if (!multiPoint && sortRest.length <= rest.length && sortRest.length > 0) {
      const sameDirection = sortRest.every(
        ([path, d], i) => rest[i]?.path === path && rest[i]?.direction === d,
      );
      const opposite = sortRest.every(
        ([path, d], i) => rest[i]?.path === path && rest[i]?.direction === -d,
      );
      providesSort = sameDirection || opposite;
      reverse = !sameDirection && opposite;
    } else if (sortRest.length === 0) providesSort = true;
    if (providesSort) score += 1;
  }
  return { plan: { index, intervals, reverse, providesSort }, score };
}

/**
 * Chooses how to find a query's candidates: the index whose leading fields the filter bounds
 * most tightly (equalities, then `$in`, then ranges), preferring one that also yields the sort
 * order; a collection scan when none helps. Sparse and partial indexes are used only by hint,
 * since they may not hold every matching document; hidden indexes never.
 */
export function planQuery(
  filter: Document,
  requested: SortSpec,
  indexes: Iterable<BTreeIndex>,
  hint?: unknown,
  collation?: Collation,
): Plan {
  const { conditions: all } = topLevelConditions(filter);
  const alternatives = orConditions(filter);
  // A text score is no field an index holds.
  const requestedSort = requested.some((key) => key[2] !== undefined) ? [] : requested;
  // An index orders strings by its own collation: with another one it may bound only the
  // conditions without strings and cannot give the order of a sort (as in mongod).
  const usable = (
    index: BTreeIndex,
  ): { conditions: Map<string, unknown[]>; sort: SortSpec; or: Map<string, unknown[][]> } =>
    sameCollation(index.collation, collation)
      ? { conditions: all, sort: requestedSort, or: alternatives }
      : {
          conditions: withoutStrings(all),
          sort: [],
          or: new Map([...alternatives].filter(([, branches]) => !holdsString(branches))),
        };
  if (hint !== undefined && hint !== null) {
    const hinted = findHintedIndex(indexes, hint);
    if (!hinted) return COLLECTION_SCAN;
    const { conditions, sort, or } = usable(hinted);
    return evaluate(hinted, conditions, sort, or).plan;
  }
  let best: Candidate | null = null;
  for (const index of indexes) {
    if (
      index.spec.sparse === true ||
      index.spec.partialFilterExpression ||
      index.spec.hidden ||
      index.special
    )
      continue;
    const { conditions, sort, or } = usable(index);
    const candidate = evaluate(index, conditions, sort, or);
    if (
      candidate.score === 0 ||
      (candidate.plan.intervals.length === 0 && !candidate.plan.providesSort)
    ) {
      continue;
    }
    if (!best || candidate.score > best.score) best = candidate;
  }
  return best?.plan ?? COLLECTION_SCAN;
}

function sameCollation(a: Collation | undefined, b: Collation | undefined): boolean {
  return a === undefined ? b === undefined : a.equals(b);
}

const holdsString = (value: unknown): boolean =>
  typeof value === 'string' ||
  (Array.isArray(value) && value.some(holdsString)) ||
  (isPlainObject(value) && Object.values(value).some(holdsString));

/** The conditions of fields none of whose conditions compares with a string. */
function withoutStrings(conditions: Map<string, unknown[]>): Map<string, unknown[]> {
  return new Map([...conditions].filter(([, values]) => !values.some(holdsString)));
}

function findHintedIndex(indexes: Iterable<BTreeIndex>, hint: unknown): BTreeIndex | null {
  if (isPlainObject(hint) && '$natural' in hint) return null;
  for (const index of indexes) {
    if (index.spec.hidden === true) continue;
    if (
      typeof hint === 'string'
        ? index.name === hint
        : isPlainObject(hint) && sameKey(index.spec.key, hint)
    ) {
      return index;
    }
  }
  return fail(
    ErrorCode.BadValue,
    'error processing query: planner returned error :: caused by :: hint provided does not correspond to an existing index',
  );
}

function sameKey(a: Document, b: Document): boolean {
  const ka = Object.entries(a);
  const kb = Object.entries(b);
  return (
    ka.length === kb.length &&
    ka.every(([k, v], i) => kb[i]?.[0] === k && Number(kb[i]?.[1]) === Number(v))
  );
}
