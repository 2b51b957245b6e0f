/**
 * Parsing an operator update (`{$set: ..., $inc: ...}`) into its update tree, with the errors
 * mongod answers for a malformed one before any document is touched.
 */
import { Query } from 'mingo';
import { BSONRegExp } from 'bson';

import {
  bsonTypeName,
  cloneValue,
  isNumeric,
  isPlainObject,
  toView,
  valuesEqual,
} from '../../bson/values';
import type { Document } from '../../bson/values';
import { ErrorCode, fail, MongoServerError } from '../../errors';
import { formatDocument, formatElement } from './mongod-format';
import type { UpdateContext } from './update-context';
import {
  newArrayNode,
  newObjectNode,
  getNodeChild,
  setNodeChild,
  type ArrayFilterTest,
  type InternalNode,
  type LeafNode,
  type LeafOp,
  type ObjectNode,
  type ParsedUpdate,
  type SortSpec,
} from './update-tree';
import { copyExact, hasOwn, integerKind, numberOf, toBigInt } from './update-values';

// An error code mongod uses that errors.ts does not list (its codeName falls back to LocationNN).
const EMPTY_FIELD_NAME = 56;

/** mongod's parseIntegerElementToLong: integral numbers only, as a bigint. */
function parseIntegerToLong(name: string, value: unknown): bigint {
  const element = formatElement(name, value);
  const type = bsonTypeName(value);
  if (!isNumeric(value)) fail(ErrorCode.FailedToParse, `Expected a number in: ${element}`);
  if (type === 'double') {
    const n = numberOf(value);
    if (Number.isNaN(n)) {
      fail(ErrorCode.FailedToParse, `Expected an integer, but found NaN in: ${element}`);
    }
    if (n >= 2 ** 63 || n < -(2 ** 63)) {
      fail(ErrorCode.FailedToParse, `Cannot represent as a 64-bit integer: ${element}`);
    }
    if (!Number.isInteger(n)) fail(ErrorCode.FailedToParse, `Expected an integer: ${element}`);
    return BigInt(n);
  }
  if (type === 'decimal') {
    const match = /^(-)?(\d+)(?:\.(\d+))?(?:E([+-]?\d+))?$/i.exec(String(value));
    let result: bigint | undefined;
    if (match) {
      const [, sign = '', whole = '0', fraction = '', exp = '0'] = match;
      const exponent = Number(exp) - fraction.length;
      const coefficient = BigInt(`${sign}${whole}${fraction}`);
      if (exponent >= 0) result = exponent > 40 ? undefined : coefficient * 10n ** BigInt(exponent);
      else {
        const divisor = 10n ** BigInt(-exponent);
        if (coefficient % divisor === 0n) result = coefficient / divisor;
      }
    }
    if (result === undefined || result >= 2n ** 63n || result < -(2n ** 63n)) {
      fail(ErrorCode.FailedToParse, `Cannot represent as a 64-bit integer: ${element}`);
    }
    return result;
  }
  return toBigInt(value);
}

/** Wraps errors mingo throws while compiling a filter into a BadValue server error. */
function compileQuery(criteria: Document, context: string): Query {
  try {
    return new Query(toView(criteria) as Document);
  } catch (error) {
    if (error instanceof MongoServerError) throw error;
    const message = error instanceof Error ? error.message : String(error);
    return fail(ErrorCode.BadValue, `${context}${message}`);
  }
}

const OPERATORS = new Set([
  '$set',
  '$unset',
  '$inc',
  '$mul',
  '$min',
  '$max',
  '$rename',
  '$setOnInsert',
  '$currentDate',
  '$push',
  '$addToSet',
  '$pop',
  '$pull',
  '$pullAll',
  '$bit',
]);

// Query operators that take a path's value (mongod's parsePathAcceptingKeyword): a $pull
// condition starting with one of them tests the elements themselves, not their fields.
const PATH_ACCEPTING_OPERATORS = new Set([
  '$eq',
  '$ne',
  '$gt',
  '$gte',
  '$lt',
  '$lte',
  '$in',
  '$nin',
  '$exists',
  '$type',
  '$mod',
  '$regex',
  '$options',
  '$elemMatch',
  '$size',
  '$all',
  '$not',
  '$bitsAllSet',
  '$bitsAllClear',
  '$bitsAnySet',
  '$bitsAnyClear',
  '$geoWithin',
  '$geoIntersects',
  '$near',
  '$nearSphere',
  '$within',
]);

export const unknownModifier = (name: string): string =>
  `Unknown modifier: ${name}. Expected a valid update modifier or pipeline-style update specified as an array`;

const isArrayFilterPart = (part: string | undefined): boolean =>
  part !== undefined && part.length >= 3 && part.startsWith('$[') && part.endsWith(']');

function collectFilterIdentifiers(filter: Document, out: string[]): void {
  for (const key of Object.keys(filter)) {
    if (key === '$and' || key === '$or' || key === '$nor') {
      const clauses = filter[key];
      if (!Array.isArray(clauses)) continue;
      for (const clause of clauses)
        if (isPlainObject(clause)) collectFilterIdentifiers(clause, out);
    } else if (!key.startsWith('$')) {
      out.push(key.split('.')[0] as string);
    }
  }
}

function parseArrayFilters(filters: Document[]): Map<string, ArrayFilterTest> {
  const out = new Map<string, ArrayFilterTest>();
  for (const filter of filters) {
    if (!isPlainObject(filter)) fail(ErrorCode.TypeMismatch, 'Each array filter must be an object');
    const query = compileQuery(filter, 'Error parsing array filter :: caused by :: ');
    const identifiers: string[] = [];
    collectFilterIdentifiers(filter, identifiers);
    const [identifier] = identifiers;
    const other = identifiers.find((id) => id !== identifier);
    if (other !== undefined) {
      fail(
        ErrorCode.FailedToParse,
        `Error parsing array filter :: caused by :: Expected a single top-level field name, found '${identifier}' and '${other}'`,
      );
    }
    if (identifier === undefined) {
      fail(
        ErrorCode.FailedToParse,
        'Cannot use an expression without a top-level field name in arrayFilters',
      );
    }
    if (!/^[a-z][a-zA-Z0-9]*$/.test(identifier)) {
      fail(
        ErrorCode.BadValue,
        `Error parsing array filter :: caused by :: The top-level field name must be an alphanumeric string beginning with a lowercase letter, found '${identifier}'`,
      );
    }
    if (out.has(identifier)) {
      fail(
        ErrorCode.FailedToParse,
        `Found multiple array filters with the same top-level field name ${identifier}`,
      );
    }
    out.set(identifier, (element) => query.test({ [identifier]: toView(element) }));
  }
  return out;
}

interface ParseState {
  filters: Map<string, ArrayFilterTest>;
  usedIdentifiers: Set<string>;
}

/** FieldRef parsing plus fieldchecker::isUpdatable and the positional checks of parseAndMerge. */
function checkUpdatePath(path: string): string[] {
  if (path === '') fail(EMPTY_FIELD_NAME, 'An empty update path is not valid.');
  const parts = path.split('.');
  if (parts.includes('')) {
    fail(
      EMPTY_FIELD_NAME,
      `The update path '${path}' contains an empty field name, which is not allowed.`,
    );
  }
  const positional = parts.filter((part) => part === '$').length;
  if (positional > 1) {
    fail(ErrorCode.BadValue, `Too many positional (i.e. '$') elements found in path '${path}'`);
  }
  if (parts[0] === '$') {
    fail(
      ErrorCode.BadValue,
      `Cannot have positional (i.e. '$') element in the first position in path '${path}'`,
    );
  }
  return parts;
}

function childNameOf(part: string, index: number, path: string, state: ParseState): string {
  if (!isArrayFilterPart(part)) return part;
  if (index === 0) {
    fail(
      ErrorCode.BadValue,
      `Cannot have array filter identifier (i.e. '$[<id>]') element in the first position in path '${path}'`,
    );
  }
  const identifier = part.slice(2, -1);
  if (identifier !== '' && !state.filters.has(identifier)) {
    fail(
      ErrorCode.BadValue,
      `No array filter found for identifier '${identifier}' in path '${path}'`,
    );
  }
  if (identifier !== '') state.usedIdentifiers.add(identifier);
  return identifier;
}

/** Places `leaf` at `path` in the tree, creating internal nodes (UpdateObjectNode::parseAndMerge). */
function mergeLeaf(
  root: ObjectNode,
  path: string,
  parts: string[],
  leaf: LeafNode,
  state: ParseState,
): void {
  let current: InternalNode = root;
  for (let i = 0; i < parts.length - 1; i++) {
    const name = childNameOf(parts[i] as string, i, path, state);
    const shouldBeArray = isArrayFilterPart(parts[i + 1]);
    const child = getNodeChild(current, name);
    if (child) {
      if (child.kind !== (shouldBeArray ? 'array' : 'object')) {
        fail(
          ErrorCode.ConflictingUpdateOperators,
          `Updating the path '${path}' would create a conflict at '${parts.slice(0, i + 1).join('.')}'`,
        );
      }
      current = child as InternalNode;
    } else {
      const created = shouldBeArray ? newArrayNode() : newObjectNode();
      setNodeChild(current, name, created);
      current = created;
    }
  }
  const last = parts.length - 1;
  const name = childNameOf(parts[last] as string, last, path, state);
  if (getNodeChild(current, name)) {
    fail(
      ErrorCode.ConflictingUpdateOperators,
      `Updating the path '${path}' would create a conflict at '${path}'`,
    );
  }
  setNodeChild(current, name, leaf);
}

function parseSortSpec(spec: unknown): SortSpec {
  const invalidOrder = 'The $sort element value must be either 1 or -1';
  if (isPlainObject(spec)) {
    const keys = Object.keys(spec);
    if (keys.length === 0) {
      fail(ErrorCode.BadValue, 'The $sort pattern is empty when it should be a set of fields.');
    }
    const fields = keys.map((key) => {
      const direction = isNumeric(spec[key]) ? numberOf(spec[key]) : 0;
      if (direction !== 1 && direction !== -1) fail(ErrorCode.BadValue, invalidOrder);
      if (key === '') fail(ErrorCode.BadValue, 'The $sort field cannot be empty');
      const path = key.split('.');
      if (path.includes('')) {
        fail(ErrorCode.BadValue, `The $sort field is a dotted field but has an empty part: ${key}`);
      }
      return { path, direction };
    });
    return { whole: false, direction: 1, fields };
  }
  if (isNumeric(spec)) {
    const direction = numberOf(spec);
    if (direction !== 1 && direction !== -1) fail(ErrorCode.BadValue, invalidOrder);
    return { whole: true, direction, fields: [] };
  }
  return fail(
    ErrorCode.BadValue,
    'The $sort is invalid: use 1/-1 to sort the whole element, or {field:1/-1} to sort embedded fields',
  );
}

function parsePush(value: unknown): LeafOp {
  if (!isPlainObject(value) || !hasOwn(value, '$each')) {
    return {
      type: 'push',
      values: [copyExact(value)],
      position: undefined,
      slice: undefined,
      sort: undefined,
    };
  }
  const clauses = new Set(['$each', '$slice', '$sort', '$position']);
  for (const name of Object.keys(value)) {
    if (!clauses.has(name)) fail(ErrorCode.BadValue, `Unrecognized clause in $push: ${name}`);
  }
  const each = value.$each;
  if (!Array.isArray(each)) {
    fail(
      ErrorCode.BadValue,
      `The argument to $each in $push must be an array but it was of type: ${bsonTypeName(each)}`,
    );
  }
  let slice: number | undefined;
  if (hasOwn(value, '$slice')) {
    try {
      slice = Number(parseIntegerToLong('$slice', value.$slice));
    } catch {
      fail(
        ErrorCode.BadValue,
        `The value for $slice must be an integer value but was given type: ${bsonTypeName(value.$slice)}`,
      );
    }
  }
  const sort = hasOwn(value, '$sort') ? parseSortSpec(value.$sort) : undefined;
  let position: number | undefined;
  if (hasOwn(value, '$position')) {
    try {
      position = Number(parseIntegerToLong('$position', value.$position));
    } catch {
      fail(
        ErrorCode.BadValue,
        `The value for $position must be an integer value, not of type: ${bsonTypeName(value.$position)}`,
      );
    }
  }
  return { type: 'push', values: each.map(copyExact), position, slice, sort };
}

function parseAddToSet(value: unknown): LeafOp {
  let values: unknown[] = [value];
  if (isPlainObject(value)) {
    const keys = Object.keys(value);
    if (keys[0] === '$each') {
      const each = value.$each;
      if (!Array.isArray(each)) {
        fail(
          ErrorCode.TypeMismatch,
          `The argument to $each in $addToSet must be an array but it was of type ${bsonTypeName(each)}`,
        );
      }
      if (keys.length > 1) {
        fail(
          ErrorCode.BadValue,
          `Found unexpected fields after $each in $addToSet: ${formatDocument(value)}`,
        );
      }
      values = each;
    }
  }
  const unique: unknown[] = [];
  for (const item of values) {
    if (!unique.some((seen) => valuesEqual(seen, item))) unique.push(copyExact(item));
  }
  return { type: 'addToSet', values: unique };
}

function toRegExp(value: BSONRegExp): RegExp | BSONRegExp {
  try {
    return new RegExp(value.pattern, value.options.replace(/[^imsu]/g, ''));
  } catch {
    return value;
  }
}

function parsePull(value: unknown): LeafOp {
  if (isPlainObject(value)) {
    const first = Object.keys(value)[0];
    if (first !== undefined && PATH_ACCEPTING_OPERATORS.has(first)) {
      const query = compileQuery({ v: value }, '');
      return { type: 'pull', matches: (element) => query.test({ v: toView(element) }) };
    }
    const query = compileQuery(value, '');
    return {
      type: 'pull',
      matches: (element) => isPlainObject(element) && query.test(toView(element) as Document),
    };
  }
  if (value instanceof RegExp || value instanceof BSONRegExp) {
    const query = compileQuery({ v: value instanceof BSONRegExp ? toRegExp(value) : value }, '');
    return { type: 'pull', matches: (element) => query.test({ v: toView(element) }) };
  }
  const target = cloneValue(value);
  return { type: 'pull', matches: (element) => valuesEqual(element, target) };
}

function parseBit(value: unknown): LeafOp {
  if (!isPlainObject(value)) {
    fail(
      ErrorCode.BadValue,
      `The $bit modifier is not compatible with a ${bsonTypeName(value)}. You must pass in an embedded document: {$bit: {field: {and/or/xor: #}}`,
    );
  }
  const ops: Array<{ op: 'and' | 'or' | 'xor'; operand: unknown }> = [];
  for (const [key, operand] of Object.entries(value)) {
    if (key !== 'and' && key !== 'or' && key !== 'xor') {
      fail(
        ErrorCode.BadValue,
        `The $bit modifier only supports 'and', 'or', and 'xor', not '${key}' which is an unknown operator: {${formatElement(key, operand)}}`,
      );
    }
    if (integerKind(operand) === null) {
      fail(
        ErrorCode.BadValue,
        `The $bit modifier field must be an Integer(32/64 bit); a '${bsonTypeName(operand)}' is not supported here: {${formatElement(key, operand)}}`,
      );
    }
    ops.push({ op: key, operand });
  }
  if (ops.length === 0) {
    fail(
      ErrorCode.BadValue,
      `You must pass in at least one bitwise operation. The format is: {$bit: {field: {and/or/xor: #}}`,
    );
  }
  return { type: 'bit', ops };
}

function parseCurrentDate(value: unknown): LeafOp {
  if (typeof value === 'boolean') return { type: 'currentDate', asDate: true };
  if (isPlainObject(value)) {
    let asDate: boolean | undefined;
    for (const [key, option] of Object.entries(value)) {
      if (key !== '$type') fail(ErrorCode.BadValue, `Unrecognized $currentDate option: ${key}`);
      if (option === 'date') asDate = true;
      else if (option === 'timestamp') asDate = false;
    }
    if (asDate === undefined) {
      fail(
        ErrorCode.BadValue,
        "The '$type' string field is required to be 'date' or 'timestamp': {$currentDate: {field : {$type: 'date'}}}",
      );
    }
    return { type: 'currentDate', asDate };
  }
  return fail(
    ErrorCode.BadValue,
    `${bsonTypeName(value)} is not valid type for $currentDate. Please use a boolean ('true') or a $type expression ({$type: 'timestamp/date'}).`,
  );
}

/** The leaf for `field: value` of operator `op` (each UpdateLeafNode's init). */
function parseLeaf(op: string, field: string, value: unknown): LeafOp {
  switch (op) {
    case '$set':
    case '$setOnInsert':
      return { type: 'set', value: copyExact(value), insertOnly: op === '$setOnInsert' };
    case '$unset':
      return { type: 'unset' };
    case '$inc':
    case '$mul':
      if (!isNumeric(value)) {
        fail(
          ErrorCode.TypeMismatch,
          `Cannot ${op === '$inc' ? 'increment' : 'multiply'} with non-numeric argument: {${formatElement(field, value)}}`,
        );
      }
      return { type: 'arith', operator: op, operand: value };
    case '$min':
    case '$max':
      return { type: 'compare', operator: op, value: copyExact(value) };
    case '$currentDate':
      return parseCurrentDate(value);
    case '$push':
      return parsePush(value);
    case '$addToSet':
      return parseAddToSet(value);
    case '$pop': {
      const n = parseIntegerToLong(field, value);
      if (n !== 1n && n !== -1n) {
        fail(ErrorCode.FailedToParse, `$pop expects 1 or -1, found: ${n}`);
      }
      return { type: 'pop', fromFront: n === -1n };
    }
    case '$pull':
      return parsePull(value);
    case '$pullAll':
      if (!Array.isArray(value)) {
        fail(
          ErrorCode.BadValue,
          `$pullAll requires an array argument but was given a ${bsonTypeName(value)}`,
        );
      }
      return { type: 'pullAll', values: value.map(cloneValue) };
    case '$bit':
      return parseBit(value);
    default:
      return fail(ErrorCode.FailedToParse, unknownModifier(op));
  }
}

function parseRename(root: ObjectNode, from: string, value: unknown, state: ParseState): void {
  const fromParts = checkUpdatePath(from);
  mergeLeaf(root, from, fromParts, { kind: 'leaf', op: { type: 'placeholder' } }, state);
  if (typeof value !== 'string') {
    fail(
      ErrorCode.BadValue,
      `The 'to' field for $rename must be a string: ${formatElement(from, value)}`,
    );
  }
  const toParts = checkUpdatePath(value);
  const element = formatElement(from, value);
  if (value.includes('\0')) {
    fail(ErrorCode.BadValue, "The 'to' field for $rename cannot contain an embedded null byte");
  }
  if (from === value) {
    fail(ErrorCode.BadValue, `The source and target field for $rename must differ: ${element}`);
  }
  const isPrefix = (a: string[], b: string[]): boolean =>
    a.length < b.length && a.every((part, i) => part === b[i]);
  if (isPrefix(fromParts, toParts) || isPrefix(toParts, fromParts)) {
    fail(
      ErrorCode.BadValue,
      `The source and target field for $rename must not be on the same path: ${element}`,
    );
  }
  const dynamic = (parts: string[]): boolean =>
    parts.some((part) => part === '$' || isArrayFilterPart(part));
  if (dynamic(fromParts)) {
    fail(ErrorCode.BadValue, `The source field for $rename may not be dynamic: ${from}`);
  }
  if (dynamic(toParts)) {
    fail(ErrorCode.BadValue, `The destination field for $rename may not be dynamic: ${value}`);
  }
  const op: LeafOp = { type: 'rename', from: fromParts, fromPath: from, to: value };
  mergeLeaf(root, value, toParts, { kind: 'leaf', op }, state);
}

/**
 * The parsed tree of `update` under `arrayFilters`. A multi-document update applies the same
 * update document to every match: it is parsed once.
 */
const parsedUpdates = new WeakMap<
  Document,
  { arrayFilters: Document[] | undefined; parsed: ParsedUpdate }
>();

export function parseUpdateCached(
  update: Document,
  arrayFilters: Document[] | undefined,
): ParsedUpdate {
  const cached = parsedUpdates.get(update);
  if (cached && cached.arrayFilters === arrayFilters) return cached.parsed;
  const parsed = parseUpdate(update, arrayFilters);
  parsedUpdates.set(update, { arrayFilters, parsed });
  return parsed;
}

function parseUpdate(update: Document, arrayFilters: Document[] | undefined): ParsedUpdate {
  const state: ParseState = {
    filters: parseArrayFilters(arrayFilters ?? []),
    usedIdentifiers: new Set(),
  };
  const root = newObjectNode();
  for (const [op, spec] of Object.entries(update)) {
    if (!OPERATORS.has(op)) fail(ErrorCode.FailedToParse, unknownModifier(op));
    if (!isPlainObject(spec)) {
      fail(
        ErrorCode.FailedToParse,
        `Modifiers operate on fields but we found type ${bsonTypeName(spec)} instead. For example: {$mod: {<field>: ...}} not {${formatElement(op, spec)}}`,
      );
    }
    for (const [field, value] of Object.entries(spec)) {
      if (op === '$rename') {
        parseRename(root, field, value, state);
        continue;
      }
      const parts = checkUpdatePath(field);
      const leaf: LeafNode = { kind: 'leaf', op: parseLeaf(op, field, value) };
      mergeLeaf(root, field, parts, leaf, state);
    }
  }
  for (const identifier of state.filters.keys()) {
    if (!state.usedIdentifiers.has(identifier)) {
      fail(
        ErrorCode.FailedToParse,
        `The array filter for identifier '${identifier}' was not used in the update ${formatDocument(update)}`,
      );
    }
  }
  return { root, filters: state.filters };
}

/**
 * Whether `update` is an operator update (`{$set: ...}`) rather than a replacement document.
 * Like mongod, the first field decides: an update whose first field starts with `$` is an operator
 * update, and any other field in it is an unknown modifier (FailedToParse); an update whose first
 * field does not is a replacement (a later `$` field then fails in {@link applyReplacement}).
 */
export function isOperatorUpdate(update: Document): boolean {
  const keys = Object.keys(update);
  const first = keys[0];
  if (first === undefined || !first.startsWith('$')) return false;
  const stray = keys.find((key) => !key.startsWith('$'));
  if (stray !== undefined) fail(ErrorCode.FailedToParse, unknownModifier(stray));
  return true;
}

/**
 * Validates an operator update without applying it: known modifiers whose arguments parse, paths
 * without empty parts, no conflicting paths (ConflictingUpdateOperators), positional and
 * `$[<id>]` parts that are well formed and array filters that are all used. Throws the
 * {@link MongoServerError} mongod answers with.
 */
export function validateUpdate(update: Document, ctx: UpdateContext = {}): void {
  parseUpdate(update, ctx.arrayFilters);
}
