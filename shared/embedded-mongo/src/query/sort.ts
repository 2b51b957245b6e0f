import type { Document } from '../bson/values';
import { compareCollated, type Collation } from './collation';
import { MISSING, valuesAtPath } from './paths';
import type { SortSpec } from './planner';

/**
 * The value a document sorts by on one path, as MongoDB picks it: missing is null, and an array
 * contributes its smallest element ascending and its largest descending.
 */
function sortKey(
  doc: Document,
  path: string,
  direction: 1 | -1,
  collation: Collation | undefined,
): unknown {
  let best: unknown = MISSING;
  for (const value of valuesAtPath(doc, path)) {
    const candidates = Array.isArray(value) ? (value.length ? value : [undefined]) : [value];
    for (const candidate of candidates) {
      const v = candidate === MISSING ? null : candidate;
      if (best === MISSING || compareCollated(collation, v, best) * direction < 0) best = v;
    }
  }
  return best === MISSING ? null : best;
}

/**
 * Sorts items by the documents they carry, keeping the natural order of ties (Array.prototype.sort
 * is stable). Sort keys are computed once per item, not once per comparison. Strings compare under
 * `collation` when one is given.
 */
export function sortItems<T>(
  items: T[],
  sort: SortSpec,
  docOf: (item: T) => Document,
  textScoreOf: (item: T) => number = () => 0,
  collation?: Collation,
): T[] {
  const keyed = items.map((item) => ({
    item,
    keys: sort.map(([path, direction, meta]) =>
      meta === 'textScore' ? textScoreOf(item) : sortKey(docOf(item), path, direction, collation),
    ),
  }));
  keyed.sort((a, b) => {
    for (let i = 0; i < sort.length; i++) {
      const d = compareCollated(collation, a.keys[i], b.keys[i]) * (sort[i] as SortSpec[number])[1];
      if (d !== 0) return d;
    }
    return 0;
  });
  return keyed.map((k) => k.item);
}
