/**
 * MongoDB update semantics as mongod 7.0 implements them: operator updates (`$set`, `$inc`, ...),
 * replacement updates, pipeline-style updates and the seed document of an upsert.
 *
 * Operator updates follow mongod's update tree: every path of every operator is merged into one
 * tree (conflicting paths are rejected while parsing), and the tree is applied with the children
 * of each node in mongod's order (field names lexicographically, array indexes numerically). That
 * order decides where new fields land: they are appended to their object in that order, not in
 * the order the update spells them.
 */
import { Aggregator, Query } from 'mingo';
import { Binary, BSONRegExp, Decimal128, Double, Int32, Long, Timestamp } from 'bson';
import type { BSONSymbol, Code, ObjectId } from 'bson';

import { ErrorCode, fail, MongoServerError } from '../errors';
import {
  addNumbers,
  bsonTypeName,
  cloneValue,
  compareValues,
  isNumeric,
  isPlainObject,
  multiplyNumbers,
  toExactForm,
  toView,
  valuesEqual,
} from '../bson/values';
import type { Document } from '../bson/values';

/** Options of one update statement that change how its update document applies. */
export interface UpdateContext {
  /** Filters for `$[<identifier>]` (the command's `arrayFilters`). */
  arrayFilters?: Document[];
  /**
   * Index of the array element matched by the query, for the positional `$` operator; undefined
   * when the query matched no array element. The engine computes it; the update only uses it.
   */
  positionalIndex?: number;
  /** True when this update builds the document inserted by an upsert ($setOnInsert applies only then). */
  isUpsertInsert?: boolean;
  /** Current time for $currentDate and `$$NOW` (default `new Date()`). */
  now?: Date;
}

/** The document an update produced and whether it differs from the input (MongoDB's nModified). */
export interface UpdateOutcome {
  document: Document;
  modified: boolean;
}

// Error codes mongod uses that errors.ts does not list (their codeName falls back to LocationNN).
const CANNOT_BACKFILL_ARRAY = 34;
const EMPTY_FIELD_NAME = 56;
const STAGE_NOT_ONE_FIELD = 40323;
const UNRECOGNIZED_STAGE = 40324;

const MAX_PADDING = 1500000;

/** A double as mongod's error messages print it (StringBuilder::appendDoubleNice). */
function formatDouble(n: number): string {
  let text: string;
  if (Number.isNaN(n)) text = 'nan';
  else if (!Number.isFinite(n)) text = n > 0 ? 'inf' : '-inf';
  else if (n === 0) text = Object.is(n, -0) ? '-0' : '0';
  else {
    // printf's %.16g: 16 significant digits, exponent form outside [1e-4, 1e16).
    const [mantissa = '', exponentText = '0'] = n.toExponential(15).split('e');
    const exponent = Number(exponentText);
    if (exponent < -4 || exponent >= 16) {
      const digits = mantissa.replace(/\.?0+$/, '');
      const sign = exponent < 0 ? '-' : '+';
      text = `${digits}e${sign}${String(Math.abs(exponent)).padStart(2, '0')}`;
    } else {
      text = n.toFixed(15 - exponent);
      if (text.includes('.')) text = text.replace(/\.?0+$/, '');
    }
  }
  // mongod's appendDoubleNice marks integral doubles so they read as doubles.
  return /[.EN]/.test(text) ? text : `${text}.0`;
}

function numberOf(value: unknown): number {
  if (typeof value === 'number') return value;
  if (value instanceof Double || value instanceof Int32) return value.value;
  if (value instanceof Long) return value.toNumber();
  if (value instanceof Decimal128) return Number(value.toString());
  return Number(value);
}

function formatString(text: string): string {
  return text.length > 160 ? `"${text.slice(0, 150)}..."` : `"${text}"`;
}

/** A value as mongod's BSONElement::toString prints it in error messages. */
function formatValue(value: unknown): string {
  switch (bsonTypeName(value)) {
    case 'int':
      return String(numberOf(value));
    case 'double':
      return formatDouble(numberOf(value));
    case 'long':
    case 'decimal':
      return String(value);
    case 'string':
      return formatString(value as string);
    case 'symbol':
      return formatString((value as BSONSymbol).valueOf());
    case 'bool':
      return value ? 'true' : 'false';
    case 'null':
      return 'null';
    case 'undefined':
      return 'undefined';
    case 'minKey':
      return 'MinKey';
    case 'maxKey':
      return 'MaxKey';
    case 'objectId':
      return `ObjectId('${(value as ObjectId).toHexString()}')`;
    case 'date':
      return `new Date(${(value as Date).getTime()})`;
    case 'timestamp': {
      const ts = value as Timestamp;
      return `Timestamp(${ts.t}, ${ts.i})`;
    }
    case 'regex':
      return value instanceof BSONRegExp
        ? `/${value.pattern}/${value.options}`
        : `/${(value as RegExp).source}/${(value as RegExp).flags}`;
    case 'binData': {
      const bin = value instanceof Binary ? value : new Binary(value as Uint8Array);
      return `BinData(${bin.sub_type}, ${bin.toString('hex').toUpperCase()})`;
    }
    case 'javascript':
      return (value as Code).code;
    case 'array': {
      const items = value as unknown[];
      return items.length === 0 ? '[]' : `[ ${items.map(formatValue).join(', ')} ]`;
    }
    case 'object':
      return isPlainObject(value) ? formatDocument(value) : String(value);
    default:
      return String(value);
  }
}

function formatElement(name: string, value: unknown): string {
  return `${name}: ${formatValue(value)}`;
}

function formatDocument(doc: Document): string {
  const keys = Object.keys(doc);
  if (keys.length === 0) return '{}';
  return `{ ${keys.map((key) => formatElement(key, doc[key])).join(', ')} }`;
}

/** SafeNum::debugString, as "Failed to apply $inc operations" names the current value. */
function debugNumber(value: unknown): string {
  switch (bsonTypeName(value)) {
    case 'int':
      return `(NumberInt)${numberOf(value)}`;
    case 'long':
      return `(NumberLong)${String(value)}`;
    case 'decimal':
      return `(NumberDecimal)${String(value)}`;
    default:
      return `(NumberDouble)${numberOf(value)}`;
  }
}

const hasOwn = (obj: object, key: string): boolean =>
  Object.prototype.hasOwnProperty.call(obj, key);

/** A deep copy of a value from an update document, in exact form (Int32 wrappers become numbers). */
const copyExact = <T>(value: T): T => toExactForm(cloneValue(value)) as T;

/** Assigns an own property, also for names like `__proto__` that plain assignment would not store. */
function setOwn(obj: Document, key: string, value: unknown): void {
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

/** Compares strings by code point, i.e. as mongod compares their UTF-8 bytes. */
function compareCodePoints(a: string, b: string): number {
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

const isDigit = (ch: string | undefined): boolean => ch !== undefined && ch >= '0' && ch <= '9';

/** mongod's cmpPathsAndArrayIndexes: numbers by magnitude, everything else as strings. */
function compareChildNames(a: string, b: string): number {
  const aNumber = a.length > 0 && isDigit(a[0]) && !(a[0] === '0' && a.length > 1);
  const bNumber = b.length > 0 && isDigit(b[0]) && !(b[0] === '0' && b.length > 1);
  if (aNumber && bNumber && a.length !== b.length) return a.length < b.length ? -1 : 1;
  return compareCodePoints(a, b);
}

/** An array index as mongod reads one from a path component (digits only), or undefined. */
function parseArrayIndex(part: string): number | undefined {
  if (!/^\d+$/.test(part)) return undefined;
  const index = Number(part);
  return index <= 0xffffffff ? index : undefined;
}

/** mongod's identical-value test (same BSON type, same value, same field order). */
function identical(a: unknown, b: unknown): boolean {
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

type IntegerKind = 'int' | 'long';

function integerKind(value: unknown): IntegerKind | null {
  const type = bsonTypeName(value);
  return type === 'int' || type === 'long' ? type : null;
}

function toBigInt(value: unknown): bigint {
  if (typeof value === 'bigint') return value;
  if (value instanceof Long) return value.toBigInt();
  return BigInt(numberOf(value));
}

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

interface SortSpec {
  /** Sort whole elements (`$sort: 1|-1`) rather than by fields of embedded documents. */
  whole: boolean;
  direction: number;
  fields: Array<{ path: string[]; direction: number }>;
}

type LeafOp =
  | { type: 'set'; value: unknown; insertOnly: boolean }
  | { type: 'unset' }
  | { type: 'arith'; operator: '$inc' | '$mul'; operand: unknown }
  | { type: 'compare'; operator: '$min' | '$max'; value: unknown }
  | { type: 'currentDate'; asDate: boolean }
  | {
      type: 'push';
      values: unknown[];
      position: number | undefined;
      slice: number | undefined;
      sort: SortSpec | undefined;
    }
  | { type: 'addToSet'; values: unknown[] }
  | { type: 'pop'; fromFront: boolean }
  | { type: 'pull'; matches: (element: unknown) => boolean }
  | { type: 'pullAll'; values: unknown[] }
  | { type: 'bit'; ops: Array<{ op: 'and' | 'or' | 'xor'; operand: unknown }> }
  | { type: 'rename'; from: string[]; fromPath: string; to: string }
  | { type: 'placeholder' };

interface LeafNode {
  kind: 'leaf';
  op: LeafOp;
}

interface ObjectNode {
  kind: 'object';
  children: Map<string, UpdateNode>;
  positional: UpdateNode | undefined;
}

/** Children keyed by array filter identifier ('' for `$[]`). */
interface ArrayNode {
  kind: 'array';
  children: Map<string, UpdateNode>;
}

type UpdateNode = LeafNode | ObjectNode | ArrayNode;
type InternalNode = ObjectNode | ArrayNode;

const newObjectNode = (): ObjectNode => ({
  kind: 'object',
  children: new Map(),
  positional: undefined,
});

const newArrayNode = (): ArrayNode => ({ kind: 'array', children: new Map() });

function getNodeChild(node: InternalNode, name: string): UpdateNode | undefined {
  if (node.kind === 'object' && name === '$') return node.positional;
  return node.children.get(name);
}

function setNodeChild(node: InternalNode, name: string, child: UpdateNode): void {
  if (node.kind === 'object' && name === '$') node.positional = child;
  else node.children.set(name, child);
}

function sortedChildren(children: Map<string, UpdateNode>): Array<[string, UpdateNode]> {
  return [...children.entries()].sort(([a], [b]) => compareChildNames(a, b));
}

/** Merges two nodes that apply to the same element (positional and array-filter updates). */
function mergeNodes(left: UpdateNode, right: UpdateNode, path: string[]): UpdateNode {
  if (left.kind === 'object' && right.kind === 'object') {
    const merged = newObjectNode();
    merged.children = mergeChildren(left.children, right.children, path, (name) => name);
    merged.positional =
      left.positional && right.positional
        ? mergeNodes(left.positional, right.positional, [...path, '$'])
        : (left.positional ?? right.positional);
    return merged;
  }
  if (left.kind === 'array' && right.kind === 'array') {
    const merged = newArrayNode();
    merged.children = mergeChildren(left.children, right.children, path, (id) => `$[${id}]`);
    return merged;
  }
  return fail(
    ErrorCode.ConflictingUpdateOperators,
    `Update created a conflict at '${path.join('.')}'`,
  );
}

function mergeChildren(
  left: Map<string, UpdateNode>,
  right: Map<string, UpdateNode>,
  path: string[],
  display: (name: string) => string,
): Map<string, UpdateNode> {
  const merged = new Map(left);
  for (const [name, node] of right) {
    const existing = merged.get(name);
    merged.set(name, existing ? mergeNodes(existing, node, [...path, display(name)]) : node);
  }
  return merged;
}

type ArrayFilterTest = (element: unknown) => boolean;

interface ParsedUpdate {
  root: ObjectNode;
  filters: Map<string, ArrayFilterTest>;
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

const unknownModifier = (name: string): string =>
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

// A multi-document update applies the same update document to every match: parse it once.
const parsedUpdates = new WeakMap<
  Document,
  { arrayFilters: Document[] | undefined; parsed: ParsedUpdate }
>();

function parseUpdateCached(update: Document, arrayFilters: Document[] | undefined): ParsedUpdate {
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

/** A value in the document being updated, with the chain of containers above it. */
interface Elem {
  value: unknown;
  parent: Elem | null;
  /** Field name or array index in the parent; null for the document itself. */
  key: string | number | null;
}

interface ApplyState {
  root: Document;
  filters: Map<string, ArrayFilterTest>;
  hadId: boolean;
  ctx: UpdateContext;
  now: Date;
  modified: boolean;
}

type Outcome = { kind: 'noop' } | { kind: 'set'; value: unknown } | { kind: 'remove' };

const NOOP: Outcome = { kind: 'noop' };
const setTo = (value: unknown): Outcome => ({ kind: 'set', value });

const elemName = (elem: Elem): string => (elem.key === null ? '' : String(elem.key));
const elemToString = (elem: Elem): string => formatElement(elemName(elem), elem.value);

function idElement(state: ApplyState): string {
  return hasOwn(state.root, '_id') ? formatElement('_id', state.root._id) : 'no id';
}

function getChild(elem: Elem, name: string): Elem | undefined {
  const value = elem.value;
  if (isPlainObject(value)) {
    return hasOwn(value, name) ? { value: value[name], parent: elem, key: name } : undefined;
  }
  if (Array.isArray(value)) {
    const index = parseArrayIndex(name);
    if (index !== undefined && index < value.length) {
      return { value: value[index], parent: elem, key: index };
    }
  }
  return undefined;
}

function writeElem(elem: Elem, value: unknown): void {
  const container = (elem.parent as Elem).value;
  if (Array.isArray(container)) container[elem.key as number] = value;
  else setOwn(container as Document, elem.key as string, value);
  elem.value = value;
}

function removeElem(elem: Elem): void {
  const container = (elem.parent as Elem).value;
  // $unset of an array element leaves a null in its place, as mongod does.
  if (Array.isArray(container)) container[elem.key as number] = null;
  else delete (container as Document)[elem.key as string];
}

function nest(parts: string[], value: unknown): unknown {
  let out = value;
  for (let i = parts.length - 1; i >= 0; i--) {
    const obj: Document = {};
    setOwn(obj, parts[i] as string, out);
    out = obj;
  }
  return out;
}

/** pathsupport::createPathAt: creates `pathToCreate` under `elem` (objects only, nulls as padding). */
function createPathAt(elem: Elem, pathToCreate: string[], value: unknown): void {
  const [first = '', ...rest] = pathToCreate;
  const target = elem.value;
  const cannotCreate = (): never =>
    fail(
      ErrorCode.PathNotViable,
      `Cannot create field '${first}' in element {${elemToString(elem)}}`,
    );
  if (Array.isArray(target)) {
    if (!/^\d+$/.test(first)) cannotCreate();
    const index = Number(first);
    if (index - target.length > MAX_PADDING) {
      fail(CANNOT_BACKFILL_ARRAY, `can't backfill more than ${MAX_PADDING} elements`);
    }
    while (target.length < index) target.push(null);
    target.push(nest(rest, value));
  } else if (isPlainObject(target)) {
    setOwn(target, first, nest(rest, value));
  } else {
    cannotCreate();
  }
}

/** Walks `rest` down from `elem` as far as it exists. */
function descend(
  elem: Elem,
  pathTaken: string[],
  rest: string[],
): { elem: Elem; pathTaken: string[]; pathToCreate: string[] } {
  let current = elem;
  const taken = [...pathTaken];
  let i = 0;
  for (; i < rest.length; i++) {
    const child = getChild(current, rest[i] as string);
    if (!child) break;
    current = child;
    taken.push(rest[i] as string);
  }
  return { elem: current, pathTaken: taken, pathToCreate: rest.slice(i) };
}

function dollarPrefixedTopLevel(name: string): never {
  return fail(
    ErrorCode.DollarPrefixedFieldName,
    `The dollar ($) prefixed field '${name}' in '${name}' is not allowed in the context of an update's replacement document. Consider using an aggregation pipeline with $replaceWith.`,
  );
}

function checkImmutableExisting(state: ApplyState, pathTaken: string[]): void {
  if (state.hadId && pathTaken[0] === '_id') {
    fail(
      ErrorCode.ImmutableField,
      `Performing an update on the path '${pathTaken.join('.')}' would modify the immutable field '_id'`,
    );
  }
}

/** Stores a new value at an existing element (ModifierNode::applyToExistingElement). */
function commitExisting(state: ApplyState, elem: Elem, pathTaken: string[], out: Outcome): void {
  if (out.kind === 'noop') return;
  checkImmutableExisting(state, pathTaken);
  if (out.kind === 'remove') {
    removeElem(elem);
  } else {
    if (pathTaken.length === 1 && (pathTaken[0] as string).startsWith('$')) {
      dollarPrefixedTopLevel(pathTaken[0] as string);
    }
    writeElem(elem, out.value);
  }
  state.modified = true;
}

/** Creates a value at a missing path (ModifierNode::applyToNonexistentElement). */
function commitCreated(
  state: ApplyState,
  elem: Elem,
  pathTaken: string[],
  pathToCreate: string[],
  value: unknown,
): void {
  createPathAt(elem, pathToCreate, value);
  if (pathTaken.length === 0 && (pathToCreate[0] as string).startsWith('$')) {
    dollarPrefixedTopLevel(pathToCreate[0] as string);
  }
  if (state.hadId && pathTaken[0] === '_id') {
    fail(
      ErrorCode.ImmutableField,
      `Updating the path '${pathTaken.join('.')}' to ${elemToString(elem)} would modify the immutable field '_id'`,
    );
  }
  state.modified = true;
}

function currentDateValue(asDate: boolean, now: Date): unknown {
  if (asDate) return new Date(now.getTime());
  return new Timestamp({ t: Math.floor(now.getTime() / 1000), i: 1 });
}

function sortKey(element: unknown, path: string[]): unknown {
  if (!isPlainObject(element)) return null;
  let current: unknown = element;
  for (const part of path) {
    if (isPlainObject(current)) {
      current = hasOwn(current, part) ? current[part] : undefined;
    } else if (Array.isArray(current)) {
      const index = parseArrayIndex(part);
      current = index !== undefined && String(index) === part ? current[index] : undefined;
    } else {
      current = undefined;
    }
    if (current === undefined) return null;
  }
  return current;
}

function sortArray(items: unknown[], sort: SortSpec): void {
  if (sort.whole) {
    items.sort((a, b) => compareValues(a, b) * sort.direction);
    return;
  }
  const keyed = items.map((item) => ({
    item,
    keys: sort.fields.map((field) => sortKey(item, field.path)),
  }));
  keyed.sort((a, b) => {
    for (let i = 0; i < sort.fields.length; i++) {
      const order = compareValues(a.keys[i], b.keys[i]) * (sort.fields[i]?.direction ?? 1);
      if (order !== 0) return order;
    }
    return 0;
  });
  keyed.forEach((entry, i) => {
    items[i] = entry.item;
  });
}

/** PushNode::performPush on a copy of `array`; `changed` as mongod reports it. */
function performPush(
  op: Extract<LeafOp, { type: 'push' }>,
  array: unknown[],
): { value: unknown[]; changed: boolean } {
  const out = array.slice();
  let changed = false;
  if (op.values.length > 0) {
    const size = out.length;
    const position = op.position ?? Number.MAX_SAFE_INTEGER;
    let index: number;
    if (size === 0 || position > size) index = size;
    else if (position > 0) index = position;
    else if (position < 0 && -position < size) index = size + position;
    else index = 0;
    out.splice(index, 0, ...op.values.map(cloneValue));
    changed = true;
  }
  if (op.sort) {
    sortArray(out, op.sort);
    changed = true;
  }
  if (op.slice !== undefined) {
    const keep = Math.abs(op.slice);
    if (out.length > keep) {
      if (op.slice >= 0) out.splice(keep);
      else out.splice(0, out.length - keep);
      changed = true;
    }
  }
  return { value: out, changed };
}

function applyBitOps(value: unknown, ops: Array<{ op: string; operand: unknown }>): unknown {
  let kind: IntegerKind = integerKind(value) ?? 'int';
  let acc = toBigInt(value);
  for (const { op, operand } of ops) {
    if (integerKind(operand) === 'long') kind = 'long';
    const b = toBigInt(operand);
    acc = op === 'and' ? acc & b : op === 'or' ? acc | b : acc ^ b;
  }
  return kind === 'int' ? Number(BigInt.asIntN(32, acc)) : Long.fromBigInt(BigInt.asIntN(64, acc));
}

function arithmetic(op: '$inc' | '$mul', a: unknown, b: unknown): unknown {
  return op === '$inc' ? addNumbers(a, b) : multiplyNumbers(a, b);
}

/** The new value of an existing element (each modifier's updateExistingElement). */
function updateExisting(op: LeafOp, elem: Elem, pathTaken: string[], state: ApplyState): Outcome {
  const current = elem.value;
  const path = pathTaken.join('.');
  switch (op.type) {
    case 'set':
      return identical(current, op.value) ? NOOP : setTo(cloneValue(op.value));
    case 'unset':
      return { kind: 'remove' };
    case 'arith': {
      if (!isNumeric(current)) {
        fail(
          ErrorCode.TypeMismatch,
          `Cannot apply ${op.operator} to a value of non-numeric type. {${idElement(state)}} has the field '${elemName(elem)}' of non-numeric type ${bsonTypeName(current)}`,
        );
      }
      const result = arithmetic(op.operator, current, op.operand);
      if (identical(result, current)) return NOOP;
      // values.ts turns an Int64 overflow into a double (as aggregation does); updates refuse it.
      if (integerKind(current) && integerKind(op.operand) && !integerKind(result)) {
        fail(
          ErrorCode.BadValue,
          `Failed to apply ${op.operator} operations to current value (${debugNumber(current)}) for document {${idElement(state)}}`,
        );
      }
      return setTo(result);
    }
    case 'compare': {
      const order = compareValues(current, op.value);
      if (order === 0 || (op.operator === '$max' ? order > 0 : order < 0)) return NOOP;
      return setTo(cloneValue(op.value));
    }
    case 'currentDate':
      return setTo(currentDateValue(op.asDate, state.now));
    case 'push': {
      if (!Array.isArray(current)) {
        fail(
          ErrorCode.BadValue,
          `The field '${path}' must be an array but is of type ${bsonTypeName(current)} in document {${idElement(state)}}`,
        );
      }
      const pushed = performPush(op, current);
      return pushed.changed ? setTo(pushed.value) : NOOP;
    }
    case 'addToSet': {
      if (!Array.isArray(current)) {
        fail(
          ErrorCode.BadValue,
          `Cannot apply $addToSet to non-array field. Field named '${elemName(elem)}' has non-array type ${bsonTypeName(current)}`,
        );
      }
      const toAdd = op.values.filter((value) => !current.some((item) => valuesEqual(item, value)));
      return toAdd.length === 0 ? NOOP : setTo([...current, ...toAdd.map(cloneValue)]);
    }
    case 'pop': {
      if (!Array.isArray(current)) {
        fail(
          ErrorCode.TypeMismatch,
          `Path '${path}' contains an element of non-array type '${bsonTypeName(current)}'`,
        );
      }
      if (current.length === 0) return NOOP;
      return setTo(op.fromFront ? current.slice(1) : current.slice(0, -1));
    }
    case 'pull':
    case 'pullAll': {
      if (!Array.isArray(current)) {
        fail(ErrorCode.BadValue, 'Cannot apply $pull to a non-array value');
      }
      const remove =
        op.type === 'pull'
          ? op.matches
          : (item: unknown): boolean => op.values.some((value) => valuesEqual(item, value));
      const kept = current.filter((item) => !remove(item));
      return kept.length === current.length ? NOOP : setTo(kept);
    }
    case 'bit': {
      if (integerKind(current) === null) {
        fail(
          ErrorCode.BadValue,
          `Cannot apply $bit to a value of non-integral type.${idElement(state)} has the field ${elemName(elem)} of non-integer type ${bsonTypeName(current)}`,
        );
      }
      const result = applyBitOps(current, op.ops);
      return identical(result, current) ? NOOP : setTo(result);
    }
    default:
      return NOOP;
  }
}

/** The value of a created element, or undefined for modifiers that never create. */
function valueForNewElement(op: LeafOp, state: ApplyState): { value: unknown } | undefined {
  switch (op.type) {
    case 'set':
      return { value: cloneValue(op.value) };
    case 'arith':
      return {
        value: op.operator === '$inc' ? copyExact(op.operand) : multiplyNumbers(op.operand, 0),
      };
    case 'compare':
      return { value: cloneValue(op.value) };
    case 'currentDate':
      return { value: currentDateValue(op.asDate, state.now) };
    case 'push':
      return { value: performPush(op, []).value };
    case 'addToSet':
      return { value: op.values.map(cloneValue) };
    case 'bit':
      return { value: applyBitOps(0, op.ops) };
    default:
      return undefined;
  }
}

/** UpdateLeafNode::checkViability: a missing path that could not even be created is an error. */
function checkViability(elem: Elem, pathTaken: string[], pathToCreate: string[]): void {
  const first = pathToCreate[0] as string;
  if (isPlainObject(elem.value)) return;
  if (Array.isArray(elem.value) && parseArrayIndex(first) !== undefined) return;
  fail(
    ErrorCode.PathNotViable,
    `Cannot use the part (${first}) of (${pathTaken.join('.')}.${pathToCreate.join('.')}) to traverse the element ({${elemToString(elem)}})`,
  );
}

function applyLeaf(
  leaf: LeafNode,
  state: ApplyState,
  elem: Elem,
  pathTaken: string[],
  pathToCreate: string[],
): void {
  const op = leaf.op;
  if (op.type === 'placeholder') return;
  if (op.type === 'set' && op.insertOnly && !state.ctx.isUpsertInsert) return;
  if (op.type === 'rename') {
    applyRename(op, state, elem, pathTaken, pathToCreate);
    return;
  }
  if (pathToCreate.length === 0) {
    commitExisting(state, elem, pathTaken, updateExisting(op, elem, pathTaken, state));
    return;
  }
  const created = valueForNewElement(op, state);
  if (created) {
    commitCreated(state, elem, pathTaken, pathToCreate, created.value);
  } else if (op.type !== 'unset') {
    checkViability(elem, pathTaken, pathToCreate);
  }
}

/** Finds the source of a $rename (pathsupport::findLongestPrefix from the document root). */
function findRenameSource(state: ApplyState, from: string[], fromPath: string): Elem | undefined {
  let current: Elem = { value: state.root, parent: null, key: null };
  for (let i = 0; i < from.length; i++) {
    const part = from[i] as string;
    const value = current.value;
    const viable =
      isPlainObject(value) || (Array.isArray(value) && parseArrayIndex(part) !== undefined);
    if (!viable) {
      fail(
        ErrorCode.PathNotViable,
        `cannot use the part (${from[i - 1] ?? ''} of ${fromPath}) to traverse the element ({${elemToString(current)}})`,
      );
    }
    const child = getChild(current, part);
    if (!child) return undefined;
    current = child;
  }
  return current;
}

function applyRename(
  op: Extract<LeafOp, { type: 'rename' }>,
  state: ApplyState,
  elem: Elem,
  pathTaken: string[],
  pathToCreate: string[],
): void {
  const source = findRenameSource(state, op.from, op.fromPath);
  if (!source) return;
  const arrayAbove = (start: Elem | null): Elem | undefined => {
    for (let p = start; p && p.parent; p = p.parent) if (Array.isArray(p.value)) return p;
    return undefined;
  };
  const sourceArray = arrayAbove(source.parent);
  if (sourceArray) {
    fail(
      ErrorCode.BadValue,
      `The source field cannot be an array element, '${op.fromPath}' in doc with ${idElement(state)} has an array field called '${elemName(sourceArray)}'`,
    );
  }
  const destArray = arrayAbove(pathToCreate.length === 0 ? elem.parent : elem);
  if (destArray) {
    fail(
      ErrorCode.BadValue,
      `The destination field cannot be an array element, '${op.to}' in doc with ${idElement(state)} has an array field called '${elemName(destArray)}'`,
    );
  }
  // A $rename is a $set of the destination followed by an $unset of the source; the $set is
  // never a no-op, even when the destination already holds an equal value.
  const value = cloneValue(source.value);
  if (pathToCreate.length === 0) commitExisting(state, elem, pathTaken, setTo(value));
  else commitCreated(state, elem, pathTaken, pathToCreate, value);
  commitExisting(state, source, op.from, { kind: 'remove' });
}

function applyObjectNode(
  node: ObjectNode,
  state: ApplyState,
  elem: Elem,
  pathTaken: string[],
  pathToCreate: string[],
): void {
  const entries: Array<[string, UpdateNode]> = [];
  let positional: { name: string; node: UpdateNode } | undefined;
  if (node.positional) {
    if (state.ctx.positionalIndex === undefined) {
      fail(
        ErrorCode.BadValue,
        'The positional operator did not find the match needed from the query.',
      );
    }
    positional = { name: String(state.ctx.positionalIndex), node: node.positional };
  }
  for (const [name, child] of sortedChildren(node.children)) {
    if (positional && name === positional.name) {
      const path = [...pathTaken, ...pathToCreate, name];
      entries.push([name, mergeNodes(positional.node, child, path)]);
      positional = undefined;
      continue;
    }
    if (positional && compareCodePoints(positional.name, name) < 0) {
      entries.push([positional.name, positional.node]);
      positional = undefined;
    }
    entries.push([name, child]);
  }
  if (positional) entries.push([positional.name, positional.node]);

  for (const [name, child] of entries) {
    // Re-walking from the deepest existing element picks up paths earlier children created.
    const next = descend(elem, pathTaken, [...pathToCreate, name]);
    applyNode(child, state, next.elem, next.pathTaken, next.pathToCreate);
  }
}

function applyArrayNode(
  node: ArrayNode,
  state: ApplyState,
  elem: Elem,
  pathTaken: string[],
  pathToCreate: string[],
): void {
  if (pathToCreate.length > 0) {
    fail(
      ErrorCode.BadValue,
      `The path '${[...pathTaken, ...pathToCreate].join('.')}' must exist in the document in order to apply array updates.`,
    );
  }
  const array = elem.value;
  if (!Array.isArray(array)) {
    fail(
      ErrorCode.BadValue,
      `Cannot apply array updates to non-array element ${elemToString(elem)}`,
    );
  }
  const children = sortedChildren(node.children);
  // Elements are matched against the array as it was before any of them is updated.
  const matches = array.map((item) =>
    children.filter(([identifier]) => {
      if (identifier === '') return true;
      const test = state.filters.get(identifier);
      return test !== undefined && test(item);
    }),
  );
  matches.forEach((matching, index) => {
    const [first, ...others] = matching;
    if (!first) return;
    const path = [...pathTaken, String(index)];
    let merged = first[1];
    for (const [, other] of others) merged = mergeNodes(merged, other, path);
    const child: Elem = { value: array[index], parent: elem, key: index };
    applyNode(merged, state, child, path, []);
  });
}

function applyNode(
  node: UpdateNode,
  state: ApplyState,
  elem: Elem,
  pathTaken: string[],
  pathToCreate: string[],
): void {
  switch (node.kind) {
    case 'leaf':
      applyLeaf(node, state, elem, pathTaken, pathToCreate);
      break;
    case 'object':
      applyObjectNode(node, state, elem, pathTaken, pathToCreate);
      break;
    case 'array':
      applyArrayNode(node, state, elem, pathTaken, pathToCreate);
      break;
  }
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

/**
 * Applies operator update `update` to a deep copy of `doc` (the input is never mutated).
 * `modified` is false when every modifier was a no-op (MongoDB's nModified).
 */
export function applyUpdate(
  doc: Document,
  update: Document,
  ctx: UpdateContext = {},
): UpdateOutcome {
  const { root: tree, filters } = parseUpdateCached(update, ctx.arrayFilters);
  const root = cloneValue(doc);
  const state: ApplyState = {
    root,
    filters,
    hadId: hasOwn(doc, '_id'),
    ctx,
    now: ctx.now ?? new Date(),
    modified: false,
  };
  applyNode(tree, state, { value: root, parent: null, key: null }, [], []);
  return { document: root, modified: state.modified };
}

function checkIdValue(value: unknown): void {
  const type = bsonTypeName(value);
  if (type === 'array' || type === 'regex' || type === 'undefined') {
    fail(ErrorCode.InvalidIdField, `The '_id' value cannot be of type ${type}`);
  }
}

/** ObjectReplaceExecutor::applyReplacementUpdate, with the original `_id` kept and put first. */
function replaceDocument(original: Document, replacement: Document): UpdateOutcome {
  const hadId = hasOwn(original, '_id');
  const out: Document = {};
  if (hasOwn(replacement, '_id')) {
    const id = replacement._id;
    checkIdValue(id);
    if (hadId && !valuesEqual(original._id, id)) {
      fail(
        ErrorCode.ImmutableField,
        `After applying the update, the (immutable) field '_id' was found to have been altered to ${formatElement('_id', id)}`,
      );
    }
    out._id = hadId ? cloneValue(original._id) : id;
  } else if (hadId) {
    out._id = cloneValue(original._id);
  }
  for (const key of Object.keys(replacement)) {
    if (key !== '_id') setOwn(out, key, replacement[key]);
  }
  return { document: out, modified: !identical(original, out) };
}

/**
 * Replacement update: the new document is `replacement` with the original `_id` first. The
 * replacement may omit `_id` or repeat an equal value; a different one is ImmutableField (66).
 * Top-level field names starting with `$` are DollarPrefixedFieldName (52). Top-level zero
 * timestamps (other than `_id`) are set to the current time, as mongod does.
 */
export function applyReplacement(
  doc: Document,
  replacement: Document,
  ctx: UpdateContext = {},
): UpdateOutcome {
  const copy = cloneValue(replacement);
  if (identical(doc, copy)) return { document: cloneValue(doc), modified: false };
  const now = ctx.now ?? new Date();
  for (const key of Object.keys(copy)) {
    if (key.startsWith('$')) dollarPrefixedTopLevel(key);
    const value = copy[key];
    if (key !== '_id' && value instanceof Timestamp && value.t === 0 && value.i === 0) {
      copy[key] = currentDateValue(false, now);
    }
  }
  return replaceDocument(doc, copy);
}

const PIPELINE_UPDATE_STAGES = new Set([
  '$addFields',
  '$set',
  '$project',
  '$unset',
  '$replaceRoot',
  '$replaceWith',
]);

const KNOWN_STAGES = new Set([
  '$bucket',
  '$bucketAuto',
  '$changeStream',
  '$changeStreamSplitLargeEvent',
  '$collStats',
  '$count',
  '$currentOp',
  '$densify',
  '$documents',
  '$facet',
  '$fill',
  '$geoNear',
  '$graphLookup',
  '$group',
  '$indexStats',
  '$limit',
  '$listLocalSessions',
  '$listSampledQueries',
  '$listSearchIndexes',
  '$listSessions',
  '$lookup',
  '$match',
  '$merge',
  '$out',
  '$planCacheStats',
  '$redact',
  '$sample',
  '$search',
  '$searchMeta',
  '$setWindowFields',
  '$shardedDataDistribution',
  '$skip',
  '$sort',
  '$sortByCount',
  '$unionWith',
  '$unwind',
  '$vectorSearch',
]);

/** Replaces `$$NOW` (which mingo always takes from the clock) with the update's time. */
function substituteNow(value: unknown, now: Date): unknown {
  if (value === '$$NOW') return { $literal: new Date(now.getTime()) };
  if (Array.isArray(value)) return value.map((item) => substituteNow(item, now));
  if (isPlainObject(value)) {
    if (hasOwn(value, '$literal')) return value;
    const out: Document = {};
    for (const key of Object.keys(value)) setOwn(out, key, substituteNow(value[key], now));
    return out;
  }
  return value;
}

const isWrapper = (value: unknown): boolean =>
  value instanceof Double ||
  value instanceof Long ||
  value instanceof Decimal128 ||
  value instanceof Int32;

/**
 * Brings a pipeline result computed on the view back to exact form: a number where the original
 * document held a numeric wrapper of the same value gets the wrapper back, and fields the
 * pipeline left unset (undefined) are dropped.
 */
function restoreExactForm(result: unknown, original: unknown): unknown {
  if (typeof result === 'number' && isWrapper(original)) {
    return Object.is(toView(original), result) ? original : result;
  }
  if (Array.isArray(result)) {
    const before = Array.isArray(original) ? original : [];
    return result.map((item, i) => (item === undefined ? null : restoreExactForm(item, before[i])));
  }
  if (isPlainObject(result)) {
    const before = isPlainObject(original) ? original : {};
    const out: Document = {};
    for (const key of Object.keys(result)) {
      const value = result[key];
      if (value !== undefined) {
        setOwn(out, key, restoreExactForm(value, hasOwn(before, key) ? before[key] : undefined));
      }
    }
    return out;
  }
  return result;
}

/**
 * Pipeline-style update: runs the stages ($addFields/$set, $project, $unset, $replaceRoot,
 * $replaceWith) with mingo on the document's view and returns the result as a replacement
 * (`_id` may not change; if the result drops it, the original is kept). Other stages are
 * InvalidOptions (72) "<stage> is not allowed to be used within an update".
 */
export function applyPipelineUpdate(
  doc: Document,
  pipeline: Document[],
  ctx: UpdateContext = {},
): UpdateOutcome {
  if (ctx.arrayFilters && ctx.arrayFilters.length > 0) {
    fail(ErrorCode.FailedToParse, 'arrayFilters may not be specified for pipeline-style updates');
  }
  for (const stage of pipeline) {
    if (!isPlainObject(stage)) {
      fail(ErrorCode.TypeMismatch, "Each element of the 'pipeline' array must be an object");
    }
    const names = Object.keys(stage);
    const [name] = names;
    if (name === undefined || names.length !== 1) {
      fail(
        STAGE_NOT_ONE_FIELD,
        'A pipeline stage specification object must contain exactly one field.',
      );
    }
    if (!PIPELINE_UPDATE_STAGES.has(name)) {
      if (!KNOWN_STAGES.has(name)) {
        fail(UNRECOGNIZED_STAGE, `Unrecognized pipeline stage name: '${name}'`);
      }
      fail(ErrorCode.InvalidOptions, `${name} is not allowed to be used within an update`);
    }
  }
  const now = ctx.now ?? new Date();
  const stages = pipeline.map((stage) => substituteNow(stage, now) as Document);
  // mingo may modify its input in place, and the view of a wrapper-free document is the document.
  const input = cloneValue(toView(doc)) as Document;
  let results: unknown[];
  try {
    results = new Aggregator(stages, {}).run([input]);
  } catch (error) {
    if (error instanceof MongoServerError) throw error;
    const message = error instanceof Error ? error.message : String(error);
    return fail(ErrorCode.BadValue, message);
  }
  const [result] = results;
  if (!isPlainObject(result)) {
    return fail(ErrorCode.BadValue, 'The update pipeline did not produce a document');
  }
  const restored = restoreExactForm(result, doc) as Document;
  return replaceDocument(doc, restored);
}

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
        setOwn(target, part, created);
        target = created;
      }
    }
    setOwn(target, parts[parts.length - 1] as string, cloneValue(value));
  }
  if (!hasOwn(seed, '_id')) return seed;
  const { _id, ...rest } = seed;
  return { _id, ...rest };
}
