import { createHash } from 'node:crypto';
import type { Decimal128, Double } from 'bson';
import { Long, serialize } from 'bson';
import { isNumeric, isPlainObject, toNumber, type Document } from '../bson/values';
import { fail } from '../errors';

/**
 * The entry a hashed index (`{field: 'hashed'}`) holds for a value: a 64-bit hash (the first eight
 * bytes of an MD5, as mongod's) of a canonical form in which values MongoDB calls equal agree —
 * numbers of any type by value, truncated to an integer first as mongod does — so an equality
 * lookup finds every candidate; the matcher then drops the collisions. Arrays are refused (16766).
 */
export function hashedKey(value: unknown): Long {
  if (Array.isArray(value)) refuseArray();
  const bytes = serialize({ v: canonical(value) });
  const digest = createHash('md5').update(bytes).digest();
  return Long.fromBytesLE([...digest.subarray(0, 8)]);
}

/** Throws mongod's error for an array where a hashed index reads a value. */
export function refuseArray(): never {
  return fail(16766, 'Error: hashed indexes do not currently support array values');
}

function canonical(value: unknown): unknown {
  if (value === undefined) return null;
  if (isNumeric(value)) {
    const n = typeof value === 'number' ? value : toNumber(value as Double | Long | Decimal128);
    if (Number.isNaN(n)) return 'NaN';
    if (!Number.isFinite(n)) return n > 0 ? 'Infinity' : '-Infinity';
    return Long.fromNumber(Math.trunc(n));
  }
  if (Array.isArray(value)) return value.map(canonical);
  if (isPlainObject(value)) {
    const out: Document = {};
    for (const [key, inner] of Object.entries(value)) out[key] = canonical(inner);
    return out;
  }
  return value;
}
