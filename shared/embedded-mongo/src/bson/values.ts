/**
 * The engine's value model.
 *
 * Documents are kept in their *exact form*: what `bson.deserialize(..., { promoteValues: false })`
 * yields, with every `Int32` and every `Double` that the serializer would write back unchanged
 * turned into a plain JS number. A JS number is written back as int32 when it is an integer in
 * int32 range and as a double otherwise, so the only wrappers left are the values that would
 * otherwise change type on the way back: `Double`s holding an int32-range integer (or -0),
 * `Long`s and `Decimal128`s. That keeps Int32, Double and Int64 distinct across a round trip
 * while leaving almost every document free of wrappers.
 *
 * Matching and aggregation (mingo) work on the *view* of a document: the same tree with the
 * remaining numeric wrappers turned into numbers, so that `{n: 5}` matches an Int64 5 as it does
 * in MongoDB, and DBRefs as the `{$ref, $id, $db, ...}` documents they are in BSON, so that paths
 * such as `members.$id` reach into them. Documents without either are their own view.
 */
import {
  Binary,
  BSONRegExp,
  BSONSymbol,
  Code,
  DBRef,
  Decimal128,
  Double,
  Int32,
  Long,
  MaxKey,
  MinKey,
  ObjectId,
  Timestamp,
} from 'bson';

export type Document = Record<string, unknown>;

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;

const isInt32Number = (n: number): boolean =>
  Number.isInteger(n) && n >= INT32_MIN && n <= INT32_MAX && !Object.is(n, -0);

/** True for a plain object literal (not an array, Date, ObjectId or other BSON class). */
export function isPlainObject(value: unknown): value is Document {
  if (value === null || typeof value !== 'object') return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * Turns a value deserialized with `promoteValues: false` into exact form (see the module doc).
 * Mutates plain objects and arrays in place and returns the value.
 */
export function toExactForm(value: unknown): unknown {
  if (value instanceof Int32) return value.value;
  if (value instanceof Double) {
    const n = value.value;
    return isInt32Number(n) || Object.is(n, -0) ? value : n;
  }
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) value[i] = toExactForm(value[i]);
    return value;
  }
  if (isPlainObject(value)) {
    for (const key of Object.keys(value)) value[key] = toExactForm(value[key]);
    return value;
  }
  return value;
}

// bson's Timestamp extends Long: it is no number, so every Long test must exclude it.
const isInt64 = (v: unknown): v is Long => v instanceof Long && !(v instanceof Timestamp);

const isNumericWrapper = (v: unknown): v is Double | Long | Decimal128 | Int32 =>
  v instanceof Double || isInt64(v) || v instanceof Decimal128 || v instanceof Int32;

/** The exact-form container each converted view container was made from (see {@link exactSourceOf}). */
const VIEW_SOURCES = new WeakMap<object, object>();

/**
 * The exact form a view (or part of one) was made from, or the value itself when it is its own
 * view. Lets `$type` tell an integral Double, an Int64 or a Decimal128 from an Int32.
 */
export function exactSourceOf(view: unknown): unknown {
  return (typeof view === 'object' && view !== null && VIEW_SOURCES.get(view)) || view;
}

/** Whether a tree holds a numeric wrapper or a DBRef anywhere (then its view differs from it). */
export function differsFromView(value: unknown): boolean {
  if (isNumericWrapper(value) || value instanceof DBRef) return true;
  if (Array.isArray(value)) return value.some(differsFromView);
  if (isPlainObject(value)) {
    for (const key in value) if (differsFromView(value[key])) return true;
  }
  return false;
}

/** A DBRef as the document BSON holds: `$ref`, `$id`, `$db` (when set), then its other fields. */
export function dbRefDocument(ref: DBRef): Document {
  return {
    $ref: ref.collection,
    $id: ref.oid,
    ...(ref.db !== undefined ? { $db: ref.db } : {}),
    ...ref.fields,
  };
}

/** A numeric wrapper as a JS number (Int64 beyond 2^53 and Decimal128 lose precision). */
export function toNumber(value: Double | Long | Decimal128 | Int32): number {
  if (value instanceof Long) return value.toNumber();
  if (value instanceof Decimal128) return Number(value.toString());
  return value.value;
}

/**
 * The view of a value for matching and aggregation: numeric wrappers become numbers, DBRefs
 * documents. Returns the
 * same object when there is nothing to convert, so wrapper-free documents cost nothing.
 */
export function toView(value: unknown): unknown {
  if (isNumericWrapper(value)) return toNumber(value);
  if (!differsFromView(value)) return value;
  if (value instanceof DBRef) {
    const out = toView(dbRefDocument(value)) as Document;
    VIEW_SOURCES.set(out, value);
    return out;
  }
  if (Array.isArray(value)) {
    const out = value.map(toView);
    VIEW_SOURCES.set(out, value);
    return out;
  }
  if (isPlainObject(value)) {
    const out: Document = {};
    for (const key of Object.keys(value)) out[key] = toView(value[key]);
    VIEW_SOURCES.set(out, value);
    return out;
  }
  return value;
}

/** MongoDB's type names as `$type` and error messages use them. */
export type BsonTypeName =
  | 'minKey'
  | 'double'
  | 'string'
  | 'object'
  | 'array'
  | 'binData'
  | 'undefined'
  | 'objectId'
  | 'bool'
  | 'date'
  | 'null'
  | 'regex'
  | 'dbPointer'
  | 'javascript'
  | 'symbol'
  | 'int'
  | 'timestamp'
  | 'long'
  | 'decimal'
  | 'maxKey';

/** The BSON type of a value in exact form (or view form). */
export function bsonTypeName(value: unknown): BsonTypeName {
  switch (typeof value) {
    case 'number':
      return isInt32Number(value) ? 'int' : 'double';
    case 'string':
      return 'string';
    case 'boolean':
      return 'bool';
    case 'undefined':
      return 'undefined';
    default:
      break;
  }
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (value instanceof Date) return 'date';
  if (value instanceof ObjectId) return 'objectId';
  if (value instanceof Double) return 'double';
  if (value instanceof Int32) return 'int';
  if (value instanceof Timestamp) return 'timestamp';
  if (value instanceof Long) return 'long';
  if (value instanceof Decimal128) return 'decimal';
  if (value instanceof Binary || value instanceof Uint8Array) return 'binData';
  if (value instanceof RegExp || value instanceof BSONRegExp) return 'regex';
  if (value instanceof Timestamp) return 'timestamp';
  if (value instanceof MinKey) return 'minKey';
  if (value instanceof MaxKey) return 'maxKey';
  if (value instanceof Code) return 'javascript';
  if (value instanceof BSONSymbol) return 'symbol';
  return 'object';
}

/** BSON type numbers as `$type: <number>` uses them. */
export const BSON_TYPE_NUMBERS: Readonly<Record<BsonTypeName, number>> = {
  double: 1,
  string: 2,
  object: 3,
  array: 4,
  binData: 5,
  undefined: 6,
  objectId: 7,
  bool: 8,
  date: 9,
  null: 10,
  regex: 11,
  dbPointer: 12,
  javascript: 13,
  symbol: 14,
  int: 16,
  timestamp: 17,
  long: 18,
  decimal: 19,
  minKey: -1,
  maxKey: 127,
};

export const isNumeric = (value: unknown): boolean => {
  const type = bsonTypeName(value);
  return type === 'int' || type === 'double' || type === 'long' || type === 'decimal';
};

/**
 * Rank of a value's type in MongoDB's comparison order: MinKey < null < numbers <
 * string/symbol < object < array < binData < ObjectId < bool < Date < Timestamp < regex < MaxKey.
 * `undefined` (and a missing field) sorts with null, as in MongoDB's sort.
 */
export function canonicalTypeRank(value: unknown): number {
  switch (bsonTypeName(value)) {
    case 'minKey':
      return 1;
    case 'undefined':
    case 'null':
      return 5;
    case 'int':
    case 'double':
    case 'long':
    case 'decimal':
      return 10;
    case 'string':
    case 'symbol':
      return 15;
    case 'object':
      return 20;
    case 'array':
      return 25;
    case 'binData':
      return 30;
    case 'objectId':
      return 35;
    case 'bool':
      return 40;
    case 'date':
      return 45;
    case 'timestamp':
      return 47;
    case 'regex':
      return 50;
    case 'dbPointer':
      return 55;
    case 'javascript':
      return 60;
    case 'maxKey':
      return 127;
  }
}

const cmp = (a: number | string | bigint, b: number | string | bigint): number =>
  a < b ? -1 : a > b ? 1 : 0;

function compareNumbers(a: unknown, b: unknown): number {
  // Exact comparisons where both sides allow it; otherwise doubles (NaN sorts lowest, as in MongoDB).
  if (a instanceof Long && b instanceof Long) return a.compare(b);
  if (a instanceof Decimal128 || b instanceof Decimal128) {
    const da = decimalParts(a);
    const db = decimalParts(b);
    if (da && db) return compareDecimalParts(da, db);
  }
  const x = typeof a === 'number' ? a : toNumber(a as Long);
  const y = typeof b === 'number' ? b : toNumber(b as Long);
  if (Number.isNaN(x)) return Number.isNaN(y) ? 0 : -1;
  if (Number.isNaN(y)) return 1;
  return cmp(x, y);
}

function bytesOf(value: Binary | Uint8Array): Uint8Array {
  return value instanceof Binary ? value.buffer.subarray(0, value.position) : value;
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = (a[i] as number) - (b[i] as number);
    if (d !== 0) return d < 0 ? -1 : 1;
  }
  return cmp(a.length, b.length);
}

/**
 * Compares two values in MongoDB's BSON order (numbers compare by value across Int32, Double,
 * Int64 and Decimal128; objects field by field, names then values, in stored order; arrays
 * element by element). Returns a negative number, 0 or a positive number.
 */
export function compareValues(a: unknown, b: unknown): number {
  const rankA = canonicalTypeRank(a);
  const rankB = canonicalTypeRank(b);
  if (rankA !== rankB) return rankA < rankB ? -1 : 1;
  switch (rankA) {
    case 1:
    case 5:
    case 127:
      return 0;
    case 10:
      return compareNumbers(a, b);
    case 15:
      return compareStrings(String(a), String(b));
    case 20:
      return compareObjects(a as Document, b as Document);
    case 25: {
      const x = a as unknown[];
      const y = b as unknown[];
      const n = Math.min(x.length, y.length);
      for (let i = 0; i < n; i++) {
        const d = compareValues(x[i], y[i]);
        if (d !== 0) return d;
      }
      return cmp(x.length, y.length);
    }
    case 30: {
      const x = bytesOf(a as Binary);
      const y = bytesOf(b as Binary);
      // MongoDB orders binData by length, then subtype, then bytes.
      if (x.length !== y.length) return cmp(x.length, y.length);
      const st = cmp(a instanceof Binary ? a.sub_type : 0, b instanceof Binary ? b.sub_type : 0);
      return st !== 0 ? st : compareBytes(x, y);
    }
    case 35:
      return compareBytes((a as ObjectId).id, (b as ObjectId).id);
    case 40:
      return cmp(Number(a), Number(b));
    case 45:
      return cmp((a as Date).getTime(), (b as Date).getTime());
    case 47:
      return (a as Timestamp).compare(b as Timestamp);
    case 50: {
      const x = regexParts(a);
      const y = regexParts(b);
      return cmp(x.source, y.source) || cmp(x.flags, y.flags);
    }
    default:
      return cmp(String(a), String(b));
  }
}

// UTF-16 code-unit order equals UTF-8 byte order (mongod's) except between surrogate pairs and
// U+E000..U+FFFF, so only strings holding such characters pay for an encoding.
const NEEDS_UTF8_ORDER = /[\uD800-\uFFFF]/;

function compareStrings(a: string, b: string): number {
  if (!NEEDS_UTF8_ORDER.test(a) && !NEEDS_UTF8_ORDER.test(b)) return cmp(a, b);
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

function regexParts(value: unknown): { source: string; flags: string } {
  if (value instanceof BSONRegExp) return { source: value.pattern, flags: value.options };
  const re = value as RegExp;
  return { source: re.source, flags: re.flags };
}

function compareObjects(a: Document, b: Document): number {
  if (a instanceof DBRef || b instanceof DBRef) return cmp(String(a), String(b));
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  const n = Math.min(ka.length, kb.length);
  for (let i = 0; i < n; i++) {
    const fa = ka[i] as string;
    const fb = kb[i] as string;
    const typeOrder = canonicalTypeRank(a[fa]) - canonicalTypeRank(b[fb]);
    if (typeOrder !== 0) return typeOrder < 0 ? -1 : 1;
    const nameOrder = cmp(fa, fb);
    if (nameOrder !== 0) return nameOrder;
    const valueOrder = compareValues(a[fa], b[fb]);
    if (valueOrder !== 0) return valueOrder;
  }
  return cmp(ka.length, kb.length);
}

/** MongoDB equality: same canonical type and equal by {@link compareValues}. */
export const valuesEqual = (a: unknown, b: unknown): boolean => compareValues(a, b) === 0;

// ---------------------------------------------------------------------------------------------
// Arithmetic with MongoDB's type promotion: int32 op int32 -> int32 (Int64 on overflow),
// with Int64 -> Int64, with double -> double, with Decimal128 -> Decimal128 (computed exactly).

type NumericKind = 'int' | 'long' | 'double' | 'decimal';
const KIND_RANK: Record<NumericKind, number> = { int: 0, long: 1, double: 2, decimal: 3 };

function numericKind(value: unknown): NumericKind | null {
  const type = bsonTypeName(value);
  return type === 'int' || type === 'long' || type === 'double' || type === 'decimal' ? type : null;
}

/** A double result in exact form: a wrapper only where a plain number would change type. */
function doubleResult(n: number): number | Double {
  return isInt32Number(n) || Object.is(n, -0) ? new Double(n) : n;
}

function asNumber(value: unknown): number {
  return typeof value === 'number' ? value : toNumber(value as Long);
}

function toBigInt(value: unknown): bigint {
  if (value instanceof Long) return value.toBigInt();
  return BigInt(value as number);
}

const LONG_MIN = -(2n ** 63n);
const LONG_MAX = 2n ** 63n - 1n;

function integerResult(result: bigint, kind: 'int' | 'long'): number | Long | Double {
  if (kind === 'int' && result >= BigInt(INT32_MIN) && result <= BigInt(INT32_MAX)) {
    return Number(result);
  }
  if (result >= LONG_MIN && result <= LONG_MAX) return Long.fromBigInt(result);
  return doubleResult(Number(result));
}

/** Decimal as coefficient × 10^exponent; null for values that are not finite decimals. */
interface DecimalParts {
  coefficient: bigint;
  exponent: number;
}

function decimalParts(value: unknown): DecimalParts | null {
  let text: string;
  if (value instanceof Decimal128) text = value.toString();
  else if (value instanceof Long) return { coefficient: value.toBigInt(), exponent: 0 };
  else if (typeof value === 'number' || value instanceof Double || value instanceof Int32) {
    const n = typeof value === 'number' ? value : value.value;
    if (!Number.isFinite(n)) return null;
    // mongod converts a double to decimal with 15 significant digits (Decimal("1") + 0.1 = 1.100000000000000).
    text = Number.isInteger(n) && Math.abs(n) < 2 ** 53 ? String(n) : n.toPrecision(15);
  } else return null;
  const match = /^(-)?(\d+)(?:\.(\d+))?(?:E([+-]?\d+))?$/i.exec(text);
  if (!match) return null;
  const [, sign, whole = '0', fraction = '', exp = '0'] = match;
  const coefficient = BigInt(`${sign ?? ''}${whole}${fraction}`);
  return { coefficient, exponent: Number(exp) - fraction.length };
}

function alignDecimals(a: DecimalParts, b: DecimalParts): [bigint, bigint, number] {
  const exponent = Math.min(a.exponent, b.exponent);
  return [
    a.coefficient * 10n ** BigInt(a.exponent - exponent),
    b.coefficient * 10n ** BigInt(b.exponent - exponent),
    exponent,
  ];
}

function compareDecimalParts(a: DecimalParts, b: DecimalParts): number {
  const [x, y] = alignDecimals(a, b);
  return cmp(x, y);
}

const DECIMAL_DIGITS = 34;

/** A Decimal128 from coefficient × 10^exponent, rounded half-even to 34 significant digits. */
function decimalFromParts(parts: DecimalParts): Decimal128 {
  const negative = parts.coefficient < 0n;
  let coefficient = negative ? -parts.coefficient : parts.coefficient;
  let exponent = parts.exponent;
  const excess = coefficient.toString().length - DECIMAL_DIGITS;
  if (excess > 0) {
    const divisor = 10n ** BigInt(excess);
    const quotient = coefficient / divisor;
    const remainder = coefficient % divisor;
    const half = divisor / 2n;
    const roundUp = remainder > half || (remainder === half && quotient % 2n === 1n);
    coefficient = quotient + (roundUp ? 1n : 0n);
    exponent += excess;
  }
  return Decimal128.fromString(`${negative ? '-' : ''}${coefficient.toString()}E${exponent}`);
}

/** `a + b` with MongoDB's numeric type promotion; throws TypeError for non-numeric operands. */
export function addNumbers(a: unknown, b: unknown): unknown {
  return arithmetic(a, b, 'add');
}

/** `a * b` with MongoDB's numeric type promotion; throws TypeError for non-numeric operands. */
export function multiplyNumbers(a: unknown, b: unknown): unknown {
  return arithmetic(a, b, 'multiply');
}

function arithmetic(a: unknown, b: unknown, op: 'add' | 'multiply'): unknown {
  const ka = numericKind(a);
  const kb = numericKind(b);
  if (!ka || !kb) throw new TypeError('non-numeric operand');
  const kind = KIND_RANK[ka] >= KIND_RANK[kb] ? ka : kb;
  switch (kind) {
    case 'int':
    case 'long': {
      const x = toBigInt(a);
      const y = toBigInt(b);
      return integerResult(op === 'add' ? x + y : x * y, kind);
    }
    case 'double': {
      const x = asNumber(a);
      const y = asNumber(b);
      return doubleResult(op === 'add' ? x + y : x * y);
    }
    case 'decimal': {
      const x = decimalParts(a);
      const y = decimalParts(b);
      if (!x || !y) {
        // NaN or an infinity on one side: the result is not finite either.
        const result = op === 'add' ? asNumber(a) + asNumber(b) : asNumber(a) * asNumber(b);
        return Decimal128.fromString(String(result));
      }
      if (op === 'multiply') {
        return decimalFromParts({
          coefficient: x.coefficient * y.coefficient,
          exponent: x.exponent + y.exponent,
        });
      }
      const [cx, cy, exponent] = alignDecimals(x, y);
      return decimalFromParts({ coefficient: cx + cy, exponent });
    }
  }
}

/**
 * Stores `value` as an own field of `obj`, also for `__proto__`, which plain assignment would
 * take as the object's prototype: a document's own `__proto__` field is data like any other.
 */
export function setOwnField(obj: Document, key: string, value: unknown): void {
  if (key === '__proto__') {
    Object.defineProperty(obj, key, {
      value,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  } else {
    obj[key] = value;
  }
}

/** Deep copy of a value in exact form (BSON class instances are immutable and shared). */
export function cloneValue<T>(value: T): T {
  if (Array.isArray(value)) return value.map(cloneValue) as T;
  if (isPlainObject(value)) {
    const out: Document = {};
    for (const key of Object.keys(value)) setOwnField(out, key, cloneValue(value[key]));
    return out as T;
  }
  if (value instanceof Date) return new Date(value.getTime()) as T;
  return value;
}
