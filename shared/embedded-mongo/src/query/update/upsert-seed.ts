/** The document an upsert starts from when its query matched nothing. */
import { BSONRegExp } from 'bson';

import { cloneValue, isPlainObject, setOwnField } from '../../bson/values';
import type { Document } from '../../bson/values';
import { ErrorCode, fail } from '../../errors';
import { compareCodePoints, hasOwn } from './update-values';

function collectEqualities(filter: Document, out: Array<[string, unknown]>): void {
  for (const key of Object.keys(filter)) {
    const value = filter[key];
    if (key === '$and' || key === '$or') {
      if (!Array.isArray(value)) continue;
      // A one-clause $or canonicalizes to its clause, so its equalities count too.
      if (key === '$or' && value.length !== 1) continue;
      for (const clause of value) if (isPlainObject(clause)) collectEqualities(clause, out);
      continue;
    }
    if (key.startsWith('$')) continue;
    if (value instanceof RegExp || value instanceof BSONRegExp) continue;
    if (isPlainObject(value)) {
      const first = Object.keys(value)[0];
      const isDbRef = hasOwn(value, '$ref') && hasOwn(value, '$id');
      if (first !== undefined && first.startsWith('$') && !isDbRef) {
        if (hasOwn(value, '$eq')) out.push([key, value.$eq]);
        continue;
      }
    }
    out.push([key, value]);
  }
}

/**
 * The document an upsert starts from when its query matched nothing: the query's equality
 * conditions (`field: value`, `field: {$eq: value}`, the same inside `$and` and a one-clause
 * `$or`), dotted paths creating nested objects, `_id` first. Conditions on the same path or on a
 * path and its prefix are NotSingleValueField (54), as in mongod.
 */
export function upsertSeed(filter: Document): Document {
  const equalities: Array<[string, unknown]> = [];
  collectEqualities(filter, equalities);
  const paths = equalities.map(([path]) => path.split('.'));
  for (let i = 0; i < paths.length; i++) {
    for (let j = 0; j < i; j++) {
      const a = paths[i] as string[];
      const b = paths[j] as string[];
      const [shorter, longer] = a.length <= b.length ? [a, b] : [b, a];
      if (!shorter.every((part, k) => part === longer[k])) continue;
      fail(
        ErrorCode.NotSingleValueField,
        shorter.length === longer.length
          ? `cannot infer query fields to set, path '${a.join('.')}' is matched twice`
          : `cannot infer query fields to set, both paths '${longer.join('.')}' and '${shorter.join('.')}' are matched`,
      );
    }
  }
  equalities.sort(([a], [b]) => compareCodePoints(a, b));
  const seed: Document = {};
  for (const [path, value] of equalities) {
    const parts = path.split('.');
    let target = seed;
    for (const part of parts.slice(0, -1)) {
      const next = target[part];
      if (isPlainObject(next)) target = next;
      else {
        const created: Document = {};
        setOwnField(target, part, created);
        target = created;
      }
    }
    setOwnField(target, parts[parts.length - 1] as string, cloneValue(value));
  }
  if (!hasOwn(seed, '_id')) return seed;
  const { _id, ...rest } = seed;
  return { _id, ...rest };
}
