import { dirname, join } from 'node:path';
import { DBRef } from 'bson';
import { Context } from 'mingo/core';
import { Query } from 'mingo/query';
import type { Options } from 'mingo/types';
import * as accumulatorOperators from 'mingo/operators/accumulator';
import * as expressionOperators from 'mingo/operators/expression';
import * as pipelineOperators from 'mingo/operators/pipeline';
import * as projectionOperators from 'mingo/operators/projection';
import * as queryOperators from 'mingo/operators/query';
import * as windowOperators from 'mingo/operators/window';
import {
  BSON_TYPE_NUMBERS,
  bsonTypeName,
  exactSourceOf,
  isPlainObject,
  toView,
  type Document,
} from '../bson/values';
import { ErrorCode, fail, MongoServerError } from '../errors';
import { compileGeoPredicate, type NearQuery } from '../geo/geo-query';
import type { TextOperator } from '../text/text-search';
import { MISSING, valuesAtPath } from './paths';
import type { Collation } from './collation';
import { withCollation } from './collation-operators';
import { ENGINE_QUERY_OPERATORS } from './query-operators';
import { extractSearchClauses } from './search-clauses';

/** Operators the engine refuses by name rather than answering wrongly. */
const UNSUPPORTED_OPERATORS = new Set(['$where', '$function', '$accumulator']);

const TYPE_ALIASES = new Map<string, string[]>([
  ['number', ['int', 'double', 'long', 'decimal']],
  ...Object.keys(BSON_TYPE_NUMBERS).map((name): [string, string[]] => [name, [name]]),
]);
const TYPE_BY_NUMBER = new Map(
  Object.entries(BSON_TYPE_NUMBERS).map(([name, n]): [number, string] => [n, name]),
);

/**
 * `$type` with MongoDB's aliases and numbers (mingo's own knows JS types). It looks at the exact
 * form behind the view it is given when there is one (a stored document), so it tells 'int',
 * 'double', 'long' and 'decimal' apart; on documents built by a pipeline it sees plain numbers.
 */
const $type: typeof queryOperators.$type = (selector, value) => {
  const wanted = (Array.isArray(value) ? value : [value]).flatMap((t: unknown) => {
    const name = typeof t === 'number' ? TYPE_BY_NUMBER.get(t) : String(t);
    const names = name ? TYPE_ALIASES.get(name) : undefined;
    if (!names) fail(ErrorCode.BadValue, `Unknown type name alias: ${String(t)}`);
    return names;
  });
  const matchesType = (v: unknown): boolean => wanted.includes(bsonTypeName(v));
  return (doc: unknown) => {
    const found = valuesAtPath(exactSourceOf(doc), selector).filter((v) => v !== MISSING);
    return found.some(
      (v) => matchesType(v) || (Array.isArray(v) && v.some((element) => matchesType(element))),
    );
  };
};

/** `$geoWithin` (and its old name `$within`) and `$geoIntersects`, through the geo module. */
const geoOperator =
  (operator: '$geoWithin' | '$geoIntersects'): typeof queryOperators.$type =>
  (selector, value) =>
    compileGeoPredicate(operator, selector, toView(value));

// Stages that write elsewhere or run server-side JavaScript are left out on purpose.
const { $out: _out, $merge: _merge, ...readOnlyStages } = pipelineOperators;

/** `$count` is `$group: {_id: null, ...}` in mongod: no input, no output (mingo emits a 0). */
const $count: typeof pipelineOperators.$count = (collection, expr, options) =>
  pipelineOperators
    .$count(collection, expr, options)
    .filter((doc) => (doc as Document)[expr] !== 0);

/**
 * mingo options the engine runs every query and pipeline with: stock operators, our `$type` and
 * the query operators whose MongoDB semantics mingo's miss (query-operators.ts).
 */
export const QUERY_OPTIONS: Partial<Options> = {
  idKey: '_id',
  useStrictMode: true,
  scriptEnabled: false,
  context: Context.init({
    accumulator: accumulatorOperators,
    expression: expressionOperators,
    pipeline: { ...readOnlyStages, $count },
    projection: projectionOperators,
    query: withCollation({
      ...queryOperators,
      ...ENGINE_QUERY_OPERATORS,
      $type,
      $geoWithin: geoOperator('$geoWithin'),
      $within: geoOperator('$geoWithin'),
      $geoIntersects: geoOperator('$geoIntersects'),
    }),
    window: windowOperators,
  }),
};

/** mingo's ComputeOptions: not exported by the package, present in its CommonJS build. */
interface ComputeOptionsClass {
  init(options: Partial<Options>): Partial<Options>;
}

/**
 * {@link QUERY_OPTIONS} made into mingo's own options object once. Every `new Query` and
 * `new Aggregator` given plain options copies every operator table of their context into a new
 * one (`Context.init`: 12% of the engine's CPU in a profile of the federated read, one copy per
 * find); given this, they share the tables, which nothing here changes after start, and each
 * still gets locals of its own. mingo does not export the class, so it is read from its build,
 * with the plain options as the fallback if a mingo upgrade moves it. Never spread it into other
 * options (only its own fields would be copied, not the context): {@link mingoOptions} does that.
 */
export const PREPARED_QUERY_OPTIONS: Partial<Options> = ((): Partial<Options> => {
  try {
    // The build `mingo/query` above resolves to (the class is checked with instanceof).
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- not in mingo's exports map
    const internal = require(join(dirname(require.resolve('mingo/core')), '_internal.js')) as {
      ComputeOptions?: ComputeOptionsClass;
    };
    const prepared = internal.ComputeOptions?.init(QUERY_OPTIONS);
    // Taken only when mingo treats it as its own (a class from another build would not be).
    const works =
      prepared !== undefined &&
      new Query({ a: { $in: [1] } }, prepared).test({ a: 1 }) &&
      !new Query({ a: { $in: [1] } }, prepared).test({ a: 2 });
    return works ? prepared : QUERY_OPTIONS;
  } catch {
    return QUERY_OPTIONS;
  }
})();

function assertSupported(filter: unknown): void {
  if (Array.isArray(filter)) {
    filter.forEach(assertSupported);
    return;
  }
  if (!isPlainObject(filter)) return;
  for (const [key, value] of Object.entries(filter)) {
    if (UNSUPPORTED_OPERATORS.has(key)) {
      fail(ErrorCode.NotImplemented, `${key} is not supported by the embedded MongoDB engine`);
    }
    assertSupported(value);
  }
}

/**
 * A compiled filter that tests documents' views. `$text` and `$near` are not tested here: they
 * need an index, and the collection answers them (`test` checks the rest of the filter).
 */
export interface Matcher {
  readonly filter: Document;
  /** The collation strings compare with (undefined: binary, MongoDB's "simple"). */
  readonly collation?: Collation;
  readonly text?: TextOperator;
  readonly near?: NearQuery;
  test(view: Document): boolean;
}

/** Runs a mingo call, turning its errors into MongoDB BadValue errors with the same message. */
export function translateQueryErrors<T>(run: () => T): T {
  try {
    return run();
  } catch (error) {
    if (error instanceof MongoServerError) throw error;
    const message = error instanceof Error ? error.message : String(error);
    const text = message
      .replace(/^mingo: /, '')
      .replace(/^unknown query operator (\$\S+)$/, 'unknown operator: $1')
      .replace(
        /^unknown top level operator: (\$\S+)$/,
        "unknown top level operator: $1. If you have a field name that starts with a '$$' symbol, consider using $$getField or $$setField.",
      );
    throw new MongoServerError(ErrorCode.BadValue, text);
  }
}

/**
 * A filter as mingo runs it: the view of its values, with a DBRef compared for equality as the
 * `{$ref, $id}` document it is in the documents' views (as a bare value mingo would take that
 * document's `$ref` for an operator).
 */
export function filterView(filter: Document): Document {
  return toView(wrapDBRefConditions(filter)) as Document;
}

function wrapDBRefConditions(filter: Document): Document {
  const out: Document = {};
  for (const [key, value] of Object.entries(filter)) {
    if ((key === '$and' || key === '$or' || key === '$nor') && Array.isArray(value)) {
      out[key] = value.map((clause) =>
        isPlainObject(clause) ? wrapDBRefConditions(clause) : clause,
      );
    } else if (value instanceof DBRef) out[key] = { $eq: value };
    else if (isPlainObject(value) && isPlainObject(value.$elemMatch)) {
      out[key] = { ...value, $elemMatch: wrapDBRefConditions(value.$elemMatch) };
    } else out[key] = value;
  }
  return out;
}

/** How a filter compares: its collation and the command's `let` variables. */
export interface FilterOptions {
  collation?: Collation;
  /** `let` variables, for `$$name` in `$expr` (already evaluated to values). */
  variables?: Document;
}

/** mingo's options for a query or pipeline under `options` (a collation, `let` variables). */
export function mingoOptions(options: FilterOptions = {}): Partial<Options> {
  if (!options.collation && !options.variables) return QUERY_OPTIONS;
  return {
    ...QUERY_OPTIONS,
    ...(options.collation
      ? { collation: options.collation.spec as unknown as Options['collation'] }
      : {}),
    ...(options.variables ? { variables: toView(options.variables) as Document } : {}),
  };
}

/** Compiles a query filter (exact form). Throws BadValue for a malformed filter. */
export function compileFilter(filter: Document | undefined, options: FilterOptions = {}): Matcher {
  const criteria = filter ?? {};
  if (!isPlainObject(criteria))
    fail(ErrorCode.TypeMismatch, '"filter" had the wrong type. Expected object');
  const collation = options.collation ? { collation: options.collation } : {};
  if (Object.keys(criteria).length === 0) {
    return { filter: criteria, ...collation, test: () => true };
  }
  assertSupported(criteria);
  const { rest, text, near } = extractSearchClauses(criteria);
  const search = { ...(text ? { text } : {}), ...(near ? { near } : {}) };
  if (Object.keys(rest).length === 0) {
    return { filter: criteria, ...collation, ...search, test: () => true };
  }
  // Plain options (which mingo copies) only when this filter compares under options of its own.
  const mingo =
    options.collation || options.variables ? mingoOptions(options) : PREPARED_QUERY_OPTIONS;
  const query = translateQueryErrors(() => new Query(filterView(rest), mingo));
  return {
    filter: criteria,
    ...collation,
    ...search,
    test: (view) => translateQueryErrors(() => query.test(view)),
  };
}

/**
 * The index of the array element the filter matched, for the positional `$` update and
 * projection operators: the first top-level condition (or one inside a top-level `$and`) whose
 * path crosses an array, and the first element of that array the condition accepts.
 */
export function positionalIndex(filter: Document, view: Document): number | undefined {
  const conditions: [string, unknown][] = [];
  for (const [key, value] of Object.entries(filterView(filter))) {
    if (key === '$and' && Array.isArray(value)) {
      for (const clause of value)
        if (isPlainObject(clause)) conditions.push(...Object.entries(clause));
    } else if (!key.startsWith('$')) conditions.push([key, value]);
  }
  for (const [path, condition] of conditions) {
    const segments = path.split('.');
    let current: unknown = view;
    for (let i = 0; i < segments.length; i++) {
      if (Array.isArray(current)) {
        const rest = segments.slice(i).join('.');
        const index = current.findIndex((element) => elementMatches(element, rest, condition));
        if (index >= 0) return index;
        break;
      }
      if (!isPlainObject(current)) break;
      current = current[segments[i] as string];
    }
    if (Array.isArray(current)) {
      const index = current.findIndex((element) => elementMatches(element, '', condition));
      if (index >= 0) return index;
    }
  }
  return undefined;
}

function elementMatches(element: unknown, rest: string, condition: unknown): boolean {
  if (rest === '' && isPlainObject(condition) && '$elemMatch' in condition) {
    const inner = condition.$elemMatch as Document;
    const probe = isPlainObject(element) && !Object.keys(inner).some((k) => k.startsWith('$'));
    return probe
      ? new Query(inner, PREPARED_QUERY_OPTIONS).test(element)
      : new Query({ v: inner }, PREPARED_QUERY_OPTIONS).test({ v: element });
  }
  const path = rest === '' ? 'v' : `v.${rest}`;
  return translateQueryErrors(() =>
    new Query({ [path]: condition }, PREPARED_QUERY_OPTIONS).test({ v: element }),
  );
}
