/**
 * "Evaluating Matches" of the unified test format: expected values against what the driver
 * returned, with root-level documents allowing extra fields, flexible numerics and the special
 * `$$` operators. A mismatch throws a {@link MatchError} naming the path where it was found.
 */
import {
  Binary,
  Decimal128,
  Double,
  Int32,
  Long,
  ObjectId,
  Timestamp,
  type Document,
} from 'mongodb';

/** An expected value that the actual one does not match, with the path from the root. */
export class MatchError extends Error {
  override readonly name = 'MatchError';
}

/** Resolves `$$matchesEntity` and `$$sessionLsid` names (the test's entity map). */
export interface MatchEntities {
  value(name: string): unknown;
}

const isDocument = (value: unknown): value is Document =>
  typeof value === 'object' &&
  value !== null &&
  !Array.isArray(value) &&
  (Object.getPrototypeOf(value) === Object.prototype || Object.getPrototypeOf(value) === null);

/** The `$$operator` an expected document is, when its only key starts with `$$`. */
function specialOperator(value: unknown): string | undefined {
  if (!isDocument(value)) return undefined;
  const keys = Object.keys(value);
  return keys.length === 1 && keys[0]?.startsWith('$$') ? keys[0] : undefined;
}

/** The number a numeric value (JS number, Int32, Double, Long) stands for; undefined otherwise. */
function numericValue(value: unknown): number | undefined {
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint') return Number(value);
  if (value instanceof Int32 || value instanceof Double) return value.value;
  if (value instanceof Long && !(value instanceof Timestamp)) return value.toNumber();
  return undefined;
}

/**
 * The `$type` names a value can carry. The driver promotes Int32, Int64 and doubles to JS
 * numbers, so a JS number answers to every numeric name its value allows.
 */
function typeNames(value: unknown): string[] {
  if (value === null) return ['null'];
  if (value === undefined) return ['undefined'];
  if (typeof value === 'string') return ['string'];
  if (typeof value === 'boolean') return ['bool'];
  if (typeof value === 'number') {
    if (!Number.isInteger(value)) return ['double', 'number'];
    const int32 = value >= -(2 ** 31) && value < 2 ** 31;
    return int32 ? ['int', 'long', 'double', 'number'] : ['long', 'double', 'number'];
  }
  if (Array.isArray(value)) return ['array'];
  if (value instanceof Date) return ['date'];
  if (value instanceof RegExp) return ['regex'];
  if (value instanceof Timestamp) return ['timestamp'];
  if (value instanceof Int32) return ['int', 'number'];
  if (value instanceof Double) return ['double', 'number'];
  if (value instanceof Long) return ['long', 'number'];
  if (value instanceof Decimal128) return ['decimal', 'number'];
  if (value instanceof ObjectId) return ['objectId'];
  if (value instanceof Binary) return ['binData'];
  const bsontype = (value as { _bsontype?: string })._bsontype;
  switch (bsontype) {
    case 'BSONRegExp':
      return ['regex'];
    case 'Code':
      return ['javascript'];
    case 'BSONSymbol':
      return ['symbol'];
    case 'MinKey':
      return ['minKey'];
    case 'MaxKey':
      return ['maxKey'];
    case 'DBRef':
      return ['object', 'dbPointer'];
    default:
      return isDocument(value) ? ['object'] : [];
  }
}

/**
 * What the driver puts in a command as an object of its own (a find's `sort` as a Map, a
 * `readConcern` as a ReadConcern) as the document it is sent as; other values as they are.
 */
function asDocument(value: unknown): unknown {
  if (value instanceof Map) return Object.fromEntries(value);
  if (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    !isDocument(value) &&
    typeNames(value).length === 0 &&
    !(value instanceof Date) &&
    !(value instanceof Uint8Array)
  ) {
    return { ...value };
  }
  return value;
}

function describe(value: unknown): string {
  try {
    return JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? String(v) : v));
  } catch {
    return String(value);
  }
}

/** Equality of two values that are neither documents nor arrays, numbers compared by value. */
function scalarsEqual(expected: unknown, actual: unknown): boolean {
  const expectedNumber = numericValue(expected);
  const actualNumber = numericValue(actual);
  if (expectedNumber !== undefined || actualNumber !== undefined) {
    return expectedNumber !== undefined && actualNumber !== undefined
      ? Object.is(expectedNumber, actualNumber) || expectedNumber === actualNumber
      : false;
  }
  if (expected instanceof Date && actual instanceof Date) {
    return expected.getTime() === actual.getTime();
  }
  if (expected instanceof Decimal128 && actual instanceof Decimal128) {
    return expected.toString() === actual.toString();
  }
  if (typeof expected === 'object' && expected !== null) {
    if (typeof actual !== 'object' || actual === null) return false;
    const equals = (expected as { equals?: (other: unknown) => boolean }).equals;
    if (typeof equals === 'function') return equals.call(expected, actual);
    return describe(expected) === describe(actual);
  }
  return expected === actual;
}

interface MatchContext {
  entities: MatchEntities | undefined;
}

/** Runs a `$$` operator on the actual value (which may be undefined: the field is missing). */
function matchOperator(
  operator: string,
  argument: unknown,
  actual: unknown,
  path: string,
  isRoot: boolean,
  ctx: MatchContext,
): void {
  switch (operator) {
    case '$$exists':
      if ((actual !== undefined) !== argument) {
        throw new MatchError(
          `${path}: expected the field ${argument ? 'to exist' : 'to be absent'}`,
        );
      }
      return;
    case '$$type': {
      const wanted = Array.isArray(argument) ? (argument as string[]) : [argument as string];
      const names = typeNames(actual);
      if (actual === undefined || !wanted.some((name) => names.includes(name))) {
        throw new MatchError(
          `${path}: expected a value of type ${wanted.join('|')}, got ${describe(actual)}`,
        );
      }
      return;
    }
    case '$$unsetOrMatches':
      if (actual !== undefined) matchValue(argument, actual, path, isRoot, ctx);
      return;
    case '$$matchesEntity': {
      if (!ctx.entities) throw new MatchError(`${path}: $$matchesEntity without entities`);
      matchValue(ctx.entities.value(argument as string), actual, path, isRoot, ctx);
      return;
    }
    case '$$lte': {
      const limit = numericValue(argument);
      const value = numericValue(actual);
      if (limit === undefined || value === undefined || value > limit) {
        throw new MatchError(
          `${path}: expected a number <= ${describe(argument)}, got ${describe(actual)}`,
        );
      }
      return;
    }
    case '$$matchAsRoot':
      matchValue(argument, actual, path, true, ctx);
      return;
    case '$$matchAsDocument': {
      if (typeof actual !== 'string')
        throw new MatchError(`${path}: expected an Extended JSON string`);
      matchValue(argument, JSON.parse(actual) as unknown, path, false, ctx);
      return;
    }
    default:
      throw new Error(`${path}: the runner does not implement the ${operator} operator`);
  }
}

function matchValue(
  expected: unknown,
  actualValue: unknown,
  path: string,
  isRoot: boolean,
  ctx: MatchContext,
): void {
  const actual = asDocument(actualValue);
  const operator = specialOperator(expected);
  if (operator !== undefined) {
    matchOperator(operator, (expected as Document)[operator], actual, path, isRoot, ctx);
    return;
  }
  if (isDocument(expected)) {
    if (!isDocument(actual) && typeNames(actual)[0] !== 'object') {
      throw new MatchError(`${path}: expected a document, got ${describe(actual)}`);
    }
    const actualDoc = actual as Document;
    for (const [key, value] of Object.entries(expected)) {
      const fieldPath = `${path}.${key}`;
      const has = Object.prototype.hasOwnProperty.call(actualDoc, key);
      const fieldOperator = specialOperator(value);
      if (fieldOperator === '$$exists' || fieldOperator === '$$unsetOrMatches') {
        matchValue(value, has ? actualDoc[key] : undefined, fieldPath, false, ctx);
        continue;
      }
      if (!has)
        throw new MatchError(`${fieldPath}: expected ${describe(value)}, the field is missing`);
      matchValue(value, actualDoc[key], fieldPath, false, ctx);
    }
    if (!isRoot) {
      const extra = Object.keys(actualDoc).filter(
        (key) => !Object.prototype.hasOwnProperty.call(expected, key),
      );
      if (extra.length > 0) {
        throw new MatchError(
          `${path}: unexpected field(s) ${extra.join(', ')} in ${describe(actual)}`,
        );
      }
    }
    return;
  }
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual))
      throw new MatchError(`${path}: expected an array, got ${describe(actual)}`);
    if (actual.length !== expected.length) {
      throw new MatchError(
        `${path}: expected ${expected.length} element(s), got ${actual.length}: ${describe(actual)}`,
      );
    }
    expected.forEach((item, i) => matchValue(item, actual[i], `${path}[${i}]`, false, ctx));
    return;
  }
  if (!scalarsEqual(expected, actual)) {
    throw new MatchError(`${path}: expected ${describe(expected)}, got ${describe(actual)}`);
  }
}

/**
 * Asserts that `actual` matches `expected` under the unified format's rules. `root` says whether
 * the value is a root-level document (extra fields allowed at its top level only).
 */
export function assertMatches(
  expected: unknown,
  actual: unknown,
  options: { root: boolean; path?: string; entities?: MatchEntities },
): void {
  matchValue(expected, actual, options.path ?? '$', options.root, { entities: options.entities });
}

/** Asserts that each element of a cursor's documents matches as a root-level document. */
export function assertDocumentsMatch(
  expected: unknown,
  actual: unknown[],
  options: { path?: string; entities?: MatchEntities } = {},
): void {
  const path = options.path ?? '$';
  if (!Array.isArray(expected)) {
    assertMatches(expected, actual, { root: false, path, entities: options.entities });
    return;
  }
  if (actual.length !== expected.length) {
    throw new MatchError(
      `${path}: expected ${expected.length} document(s), got ${actual.length}: ${describe(actual)}`,
    );
  }
  expected.forEach((item, i) =>
    assertMatches(item, actual[i], {
      root: true,
      path: `${path}[${i}]`,
      entities: options.entities,
    }),
  );
}

/**
 * Exact equality of collection contents (`outcome`): documents equal field by field in any key
 * order, numbers by value, nothing extra at any level.
 */
export function assertSameDocuments(expected: Document[], actual: Document[], path: string): void {
  if (actual.length !== expected.length) {
    throw new MatchError(
      `${path}: expected ${expected.length} document(s), got ${actual.length}: ${describe(actual)}`,
    );
  }
  const exact = (e: unknown, a: unknown, at: string): void => {
    if (isDocument(e)) {
      if (!isDocument(a))
        throw new MatchError(`${at}: expected ${describe(e)}, got ${describe(a)}`);
      const keys = Object.keys(e);
      const actualKeys = Object.keys(a);
      if (keys.length !== actualKeys.length || !keys.every((key) => actualKeys.includes(key))) {
        throw new MatchError(`${at}: expected ${describe(e)}, got ${describe(a)}`);
      }
      for (const key of keys) exact(e[key], a[key], `${at}.${key}`);
      return;
    }
    if (Array.isArray(e)) {
      if (!Array.isArray(a) || a.length !== e.length) {
        throw new MatchError(`${at}: expected ${describe(e)}, got ${describe(a)}`);
      }
      e.forEach((item, i) => exact(item, a[i], `${at}[${i}]`));
      return;
    }
    if (!scalarsEqual(e, a))
      throw new MatchError(`${at}: expected ${describe(e)}, got ${describe(a)}`);
  };
  expected.forEach((doc, i) => exact(doc, actual[i], `${path}[${i}]`));
}
