import { Binary, Decimal128, Double, Long } from 'bson';
import { Query } from 'mingo/query';
import * as queryOperators from 'mingo/operators/query';
import { resolve } from 'mingo/util';
import {
  bsonTypeName,
  compareValues,
  exactSourceOf,
  isPlainObject,
  type Document,
} from '../bson/values';
import { ErrorCode, fail } from '../errors';
import { compileJsonSchema } from '../validation/json-schema';
import { MISSING, valuesAtPath } from './paths';

/**
 * Query operators where mingo's answer differs from MongoDB's, replaced or wrapped here. Each has
 * mingo's operator signature: `(selector, value, options) => (document view) => boolean`.
 */
type QueryOperator = typeof queryOperators.$eq;

/**
 * The values a leaf operator tests at `path`, as MongoDB's path traversal hands them over: every
 * value the path reaches, and the elements of each array it ends on.
 */
function leafValues(doc: unknown, path: string): unknown[] {
  const out: unknown[] = [];
  for (const value of valuesAtPath(doc, path)) {
    if (value === MISSING) continue;
    if (Array.isArray(value)) out.push(...(value as unknown[]));
    else out.push(value);
  }
  return out;
}

const isBinData = (value: unknown): value is Binary | Uint8Array =>
  value instanceof Binary || value instanceof Uint8Array;

/**
 * `$gt`/`$gte`/`$lt`/`$lte` with a BinData operand compare in the BSON order sorting uses (length,
 * then subtype, then bytes) and match BinData values only (type bracketing); other operands keep
 * mingo's comparison.
 */
function binDataAware(stock: QueryOperator, accepts: (order: number) => boolean): QueryOperator {
  return (selector, value, options) => {
    if (!isBinData(value)) return stock(selector, value, options);
    return (doc) =>
      leafValues(doc, selector).some((v) => isBinData(v) && accepts(compareValues(v, value)));
  };
}

/**
 * `$all`: `{a: {$all: [x, y]}}` is `{$and: [{a: x}, {a: y}]}` in MongoDB, so a scalar field holding
 * `x` matches `{$all: [x]}` and an empty list matches nothing. Elements may be `$elemMatch`.
 */
const $all: QueryOperator = (selector, value, options) => {
  if (!Array.isArray(value)) fail(ErrorCode.BadValue, '$all needs an array');
  if (value.length === 0) return () => false;
  const clauses = (value as unknown[]).map((element) => {
    if (isPlainObject(element) && Object.keys(element)[0] === '$elemMatch') {
      if (Object.keys(element).length !== 1)
        fail(ErrorCode.BadValue, '$all/$elemMatch has to be consistent');
      return new Query({ [selector]: element }, options);
    }
    if (isPlainObject(element) && Object.keys(element).some((k) => k.startsWith('$')))
      fail(ErrorCode.BadValue, 'no $ expressions in $all');
    const condition = element instanceof RegExp ? element : { $eq: element };
    return new Query({ [selector]: condition }, options);
  });
  return (doc) => clauses.every((clause) => clause.test(doc));
};

// ---------------------------------------------------------------------------------------------
// Bit tests. MongoDB numbers bits from the least significant bit of a number (two's complement,
// sign-extended past bit 63) and, in BinData, from the least significant bit of the first byte.

type BitTest = 'allSet' | 'allClear' | 'anySet' | 'anyClear';

/** The bit positions a `$bits…` operand names: a position list, a numeric mask or a BinData mask. */
function bitPositions(operator: string, operand: unknown): number[] {
  if (Array.isArray(operand)) {
    return operand.map((position: unknown) => {
      const n = integralNumber(position);
      if (n === null || n < 0n) {
        fail(
          ErrorCode.BadValue,
          `bit positions must be non-negative integers but got: ${String(position)}`,
        );
      }
      if (n > 2147483647n)
        fail(ErrorCode.BadValue, `bit positions cannot be represented as a 32-bit signed integer`);
      return Number(n);
    });
  }
  if (isBinData(operand)) {
    const bytes = bytesOf(operand);
    const positions: number[] = [];
    bytes.forEach((byte, i) => {
      for (let bit = 0; bit < 8; bit++) if (byte & (1 << bit)) positions.push(i * 8 + bit);
    });
    return positions;
  }
  const mask = integralNumber(operand);
  if (mask === null) {
    fail(
      ErrorCode.BadValue,
      `${operator} takes an Array, a number, or a BinData but received: ${String(operand)}`,
    );
  }
  if (mask < 0n || mask > 2147483647n) {
    fail(
      ErrorCode.BadValue,
      `${operator} takes a non-negative number that can be represented as a 32-bit signed integer, but received: ${String(operand)}`,
    );
  }
  const positions: number[] = [];
  for (let bit = 0; bit < 32; bit++) if ((mask >> BigInt(bit)) & 1n) positions.push(bit);
  return positions;
}

function bytesOf(value: Binary | Uint8Array): Uint8Array {
  return value instanceof Binary ? value.buffer.subarray(0, value.position) : value;
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** A numeric value as a 64-bit integer, or null when it is not one (fraction, NaN, out of range). */
function integralNumber(value: unknown): bigint | null {
  if (value instanceof Long && bsonTypeName(value) === 'long') return value.toBigInt();
  let n: number;
  if (typeof value === 'number') n = value;
  else if (value instanceof Double) n = value.value;
  else if (value instanceof Decimal128) n = Number(value.toString());
  else return null;
  if (!Number.isInteger(n)) return null;
  const big = BigInt(n);
  return big >= INT64_MIN && big <= INT64_MAX ? big : null;
}

/** Whether bit `position` of a stored value is set, or null when the value has no bits to test. */
function bitReader(value: unknown): ((position: number) => boolean) | null {
  if (isBinData(value)) {
    const bytes = bytesOf(value);
    return (position) => (((bytes[position >> 3] ?? 0) >> (position & 7)) & 1) === 1;
  }
  const n = integralNumber(value);
  // BigInt's >> is arithmetic: a negative number reads as set at every position past its sign.
  return n === null ? null : (position) => ((n >> BigInt(position)) & 1n) === 1n;
}

function bitOperator(operator: string, test: BitTest): QueryOperator {
  return (selector, operand) => {
    const positions = bitPositions(operator, operand);
    const matches = (value: unknown): boolean => {
      const bit = bitReader(value);
      if (!bit) return false;
      switch (test) {
        case 'allSet':
          return positions.every(bit);
        case 'allClear':
          return positions.every((p) => !bit(p));
        case 'anySet':
          return positions.some(bit);
        case 'anyClear':
          return positions.some((p) => !bit(p));
        default: {
          const unknown: never = test;
          throw new Error(`unknown bit test ${String(unknown)}`);
        }
      }
    };
    // The exact form, so an Int64 beyond 2^53 keeps every bit.
    return (doc) => leafValues(exactSourceOf(doc), selector).some(matches);
  };
}

// ---------------------------------------------------------------------------------------------
// DBRef fields. MongoDB parses `$ref`, `$id` and `$db` in a filter document as field names (a
// DBRef's parts), so `{members: {$elemMatch: {$ref: 'users', $id: id}}}` matches DBRefs.

const DBREF_FIELDS = new Set(['$ref', '$id', '$db']);

/** `$elemMatch`, accepting DBRef field names beside ordinary conditions. */
const $elemMatch: QueryOperator = (selector, criteria, options) => {
  if (!isPlainObject(criteria)) fail(ErrorCode.BadValue, '$elemMatch needs an Object');
  const keys = Object.keys(criteria);
  if (!keys.some((key) => DBREF_FIELDS.has(key)))
    return queryOperators.$elemMatch(selector, criteria, options);
  const refParts = keys
    .filter((key) => DBREF_FIELDS.has(key))
    .map((key): [string, Query] => [key, new Query({ v: { $eq: criteria[key] } }, options)]);
  const rest = Object.fromEntries(
    Object.entries(criteria).filter(([key]) => !DBREF_FIELDS.has(key)),
  );
  const others = Object.keys(rest).length > 0 ? new Query(rest, options) : null;
  const elementMatches = (element: unknown): boolean =>
    isPlainObject(element) &&
    refParts.every(([key, query]) => query.test({ v: element[key] })) &&
    (!others || others.test(element));
  return (doc) => {
    const value: unknown = resolve(doc as Document, selector, { unwrapArray: true });
    return Array.isArray(value) && value.some(elementMatches);
  };
};

/** `$jsonSchema` in MongoDB's dialect, on the exact form (so `bsonType` tells int from long). */
const $jsonSchema: QueryOperator = (_selector, schema) => {
  if (!isPlainObject(schema)) fail(ErrorCode.TypeMismatch, '$jsonSchema must be an object');
  const check = compileJsonSchema(schema);
  return (doc) => check(exactSourceOf(doc)).length === 0;
};

/** The query operators the engine runs instead of mingo's. */
export const ENGINE_QUERY_OPERATORS: Record<string, QueryOperator> = {
  $all,
  $elemMatch,
  $jsonSchema,
  $gt: binDataAware(queryOperators.$gt, (order) => order > 0),
  $gte: binDataAware(queryOperators.$gte, (order) => order >= 0),
  $lt: binDataAware(queryOperators.$lt, (order) => order < 0),
  $lte: binDataAware(queryOperators.$lte, (order) => order <= 0),
  $bitsAllSet: bitOperator('$bitsAllSet', 'allSet'),
  $bitsAllClear: bitOperator('$bitsAllClear', 'allClear'),
  $bitsAnySet: bitOperator('$bitsAnySet', 'anySet'),
  $bitsAnyClear: bitOperator('$bitsAnyClear', 'anyClear'),
};
