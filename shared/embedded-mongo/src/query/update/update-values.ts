/**
 * Value helpers every stage of an update shares: mongod's identity test (what makes a modifier a
 * no-op), numbers and integers of any BSON numeric type, own fields, path components.
 */
import { Decimal128, Double, Int32, Long, Timestamp } from 'bson';

import {
  bsonTypeName,
  cloneValue,
  isPlainObject,
  toExactForm,
  valuesEqual,
} from '../../bson/values';
import { ErrorCode, fail } from '../../errors';

/** A numeric BSON value (or anything `Number()` reads) as a JS number. */
export function numberOf(value: unknown): number {
  if (typeof value === 'number') return value;
  if (value instanceof Double || value instanceof Int32) return value.value;
  if (value instanceof Long) return value.toNumber();
  if (value instanceof Decimal128) return Number(value.toString());
  return Number(value);
}

export const hasOwn = (obj: object, key: string): boolean =>
  Object.prototype.hasOwnProperty.call(obj, key);

/** A deep copy of a value from an update document, in exact form (Int32 wrappers become numbers). */
export const copyExact = <T>(value: T): T => toExactForm(cloneValue(value)) as T;

/** Compares strings by code point, i.e. as mongod compares their UTF-8 bytes. */
export function compareCodePoints(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.codePointAt(i) as number;
    const y = b.codePointAt(i) as number;
    if (x !== y) return x < y ? -1 : 1;
    if (x > 0xffff) i++;
  }
  return a.length < b.length ? -1 : a.length > b.length ? 1 : 0;
}

/** An array index as mongod reads one from a path component (digits only), or undefined. */
export function parseArrayIndex(part: string): number | undefined {
  if (!/^\d+$/.test(part)) return undefined;
  const index = Number(part);
  return index <= 0xffffffff ? index : undefined;
}

/** mongod's identical-value test (same BSON type, same value, same field order). */
export function identical(a: unknown, b: unknown): boolean {
  const type = bsonTypeName(a);
  if (type !== bsonTypeName(b)) return false;
  switch (type) {
    case 'double':
      return Object.is(numberOf(a), numberOf(b));
    case 'decimal':
      return String(a) === String(b);
    case 'array': {
      const x = a as unknown[];
      const y = b as unknown[];
      return x.length === y.length && x.every((item, i) => identical(item, y[i]));
    }
    case 'object': {
      if (!isPlainObject(a) || !isPlainObject(b)) return valuesEqual(a, b);
      const ka = Object.keys(a);
      const kb = Object.keys(b);
      return (
        ka.length === kb.length && ka.every((key, i) => key === kb[i] && identical(a[key], b[key]))
      );
    }
    default:
      return valuesEqual(a, b);
  }
}

export type IntegerKind = 'int' | 'long';

export function integerKind(value: unknown): IntegerKind | null {
  const type = bsonTypeName(value);
  return type === 'int' || type === 'long' ? type : null;
}

export function toBigInt(value: unknown): bigint {
  if (typeof value === 'bigint') return value;
  if (value instanceof Long) return value.toBigInt();
  return BigInt(numberOf(value));
}

/**
 * Refuses a top-level `$`-prefixed field in a document an update changes (mongod's
 * storage_validation): an update of an existing document may not set one, an inserted one may.
 */
export function failDollarPrefixedField(name: string): never {
  return fail(
    ErrorCode.DollarPrefixedFieldName,
    `The dollar ($) prefixed field '${name}' in '${name}' is not allowed in the context of an update's replacement document. Consider using an aggregation pipeline with $replaceWith.`,
  );
}

/** The value `$currentDate` (and a zero Timestamp in a replacement) stores: a date or a timestamp. */
export function currentDateValue(asDate: boolean, now: Date): unknown {
  if (asDate) return new Date(now.getTime());
  return new Timestamp({ t: Math.floor(now.getTime() / 1000), i: 1 });
}
