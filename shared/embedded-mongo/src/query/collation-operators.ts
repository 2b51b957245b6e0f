/**
 * The comparison query operators under a collation: a query compiled with mingo's `collation`
 * option (a {@link CollationSpec} of {@link parseCollation}) compares strings, also inside arrays
 * and documents, with that collation. Operands without strings, and queries without a
 * collation, keep the operators they wrap.
 */
import type * as queryOperators from 'mingo/operators/query';
import { bsonTypeName, isPlainObject } from '../bson/values';
import { collationOfSpec, type Collation } from './collation';
import { MISSING, valuesAtPath } from './paths';

type QueryOperator = typeof queryOperators.$eq;

const containsString = (value: unknown): boolean =>
  typeof value === 'string' ||
  (Array.isArray(value) && value.some(containsString)) ||
  (isPlainObject(value) && Object.values(value).some(containsString));

/** Every value the path reaches, and the elements of each array among them (MongoDB's traversal). */
function candidates(doc: unknown, path: string): unknown[] {
  const out: unknown[] = [];
  for (const value of valuesAtPath(doc, path)) {
    if (value === MISSING) continue;
    out.push(value);
    if (Array.isArray(value)) out.push(...(value as unknown[]));
  }
  return out;
}

const sameBracket = (a: unknown, b: unknown): boolean => {
  const x = bsonTypeName(a);
  const y = bsonTypeName(b);
  return x === y || ((x === 'string' || x === 'symbol') && (y === 'string' || y === 'symbol'));
};

function equalUnder(collation: Collation, value: unknown, operand: unknown): boolean {
  return sameBracket(value, operand) && collation.compareValues(value, operand) === 0;
}

/** The collation a query's options carry, when its operand makes it matter. */
function collationFor(options: unknown, operand: unknown): Collation | undefined {
  const spec = (options as { collation?: unknown } | undefined)?.collation;
  if (spec === undefined || !containsString(operand)) return undefined;
  return collationOfSpec(spec);
}

function equality(stock: QueryOperator, negate: boolean): QueryOperator {
  return (selector, value, options) => {
    const collation = collationFor(options, value);
    if (!collation) return stock(selector, value, options);
    return (doc) =>
      candidates(doc, selector).some((v) => equalUnder(collation, v, value)) !== negate;
  };
}

function ordering(stock: QueryOperator, accepts: (order: number) => boolean): QueryOperator {
  return (selector, value, options) => {
    const collation = collationFor(options, value);
    if (!collation) return stock(selector, value, options);
    return (doc) =>
      candidates(doc, selector).some(
        (v) => sameBracket(v, value) && accepts(collation.compareValues(v, value)),
      );
  };
}

function membership(stock: QueryOperator, negate: boolean): QueryOperator {
  return (selector, value, options) => {
    const collation = collationFor(options, value);
    if (!collation || !Array.isArray(value)) return stock(selector, value, options);
    const patterns = value.filter((item): item is RegExp => item instanceof RegExp);
    const values = value.filter((item) => !(item instanceof RegExp));
    const matchesNull = values.some((item) => item === null);
    return (doc) => {
      const found = candidates(doc, selector);
      const hit =
        (matchesNull && found.length === 0) ||
        found.some(
          (v) =>
            values.some((item) => (item === null ? v === null : equalUnder(collation, v, item))) ||
            (typeof v === 'string' && patterns.some((pattern) => pattern.test(v))),
        );
      return hit !== negate;
    };
  };
}

/** `operators` with the comparison operators made collation-aware. */
export function withCollation<T extends object>(operators: T): T {
  const op = (name: string): QueryOperator =>
    (operators as Record<string, unknown>)[name] as QueryOperator;
  return {
    ...operators,
    $eq: equality(op('$eq'), false),
    $ne: equality(op('$ne'), true),
    $gt: ordering(op('$gt'), (order) => order > 0),
    $gte: ordering(op('$gte'), (order) => order >= 0),
    $lt: ordering(op('$lt'), (order) => order < 0),
    $lte: ordering(op('$lte'), (order) => order <= 0),
    $in: membership(op('$in'), false),
    $nin: membership(op('$nin'), true),
  };
}
