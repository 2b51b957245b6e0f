import { isPlainObject, type Document } from '../bson/values';
import { ErrorCode, fail } from '../errors';
import { parseNear, type NearQuery } from '../geo/geo-query';
import { parseTextOperator, type TextOperator } from '../text/text-search';

/** A filter split into the clauses an index must answer and the rest, which the matcher tests. */
export interface SearchClauses {
  rest: Document;
  text?: TextOperator;
  near?: NearQuery;
}

const NEAR_OPERATORS = ['$near', '$nearSphere'];

const isNearCondition = (value: unknown): value is Document =>
  isPlainObject(value) && NEAR_OPERATORS.some((op) => op in value);

/**
 * Takes `$text` and `$near`/`$nearSphere` out of a filter. As in mongod, each may appear once, at
 * the top level or in a top-level `$and`, and not both; anywhere else they are refused.
 */
export function extractSearchClauses(filter: Document): SearchClauses {
  const found: SearchClauses = { rest: {} };
  const take = (clause: Document): Document => {
    const rest: Document = {};
    for (const [key, value] of Object.entries(clause)) {
      if (key === '$text') {
        if (found.text) fail(ErrorCode.BadValue, 'Too many text expressions');
        found.text = parseTextOperator(value);
      } else if (!key.startsWith('$') && isNearCondition(value)) {
        if (found.near) fail(ErrorCode.BadValue, 'Too many geoNear expressions');
        found.near = parseNear(key, value);
      } else if (key === '$and' && Array.isArray(value)) {
        const kept = value.map((inner) => (isPlainObject(inner) ? take(inner) : inner));
        const nonEmpty = kept.filter(
          (inner) => !isPlainObject(inner) || Object.keys(inner).length > 0,
        );
        if (nonEmpty.length > 0) rest.$and = nonEmpty;
      } else {
        refuseNested(value, key);
        rest[key] = value;
      }
    }
    return rest;
  };
  found.rest = take(filter);
  if (found.text && found.near)
    fail(ErrorCode.BadValue, 'text and geoNear not allowed in same query');
  return found;
}

/** Refuses `$text` and the near operators below the top level (in `$or`, `$nor`, `$elemMatch`, …). */
function refuseNested(value: unknown, under: string): void {
  if (Array.isArray(value)) {
    for (const element of value) refuseNested(element, under);
    return;
  }
  if (!isPlainObject(value)) return;
  for (const [key, inner] of Object.entries(value)) {
    if (key === '$text') {
      if (under === '$nor') fail(ErrorCode.BadValue, 'text expression not allowed in nor');
      fail(
        ErrorCode.BadValue,
        '$text can only be used at the top level of a query or in a top-level $and',
      );
    }
    if (NEAR_OPERATORS.includes(key) || (!key.startsWith('$') && isNearCondition(inner)))
      fail(ErrorCode.BadValue, '$geoNear, $near, and $nearSphere are not allowed in this context');
    refuseNested(inner, key.startsWith('$') ? key : under);
  }
}
