/**
 * What each modifier of an operator update computes: the new value of an element that exists
 * (each mongod modifier's updateExistingElement) and the value of one it creates.
 */
import { Long } from 'bson';

import {
  addNumbers,
  bsonTypeName,
  cloneValue,
  compareValues,
  isNumeric,
  isPlainObject,
  multiplyNumbers,
  valuesEqual,
} from '../../bson/values';
import type { Document } from '../../bson/values';
import { ErrorCode, fail } from '../../errors';
import { debugNumber, formatElement } from './mongod-format';
import type { UpdateContext } from './update-context';
import type { ArrayFilterTest, LeafOp, SortSpec } from './update-tree';
import {
  copyExact,
  currentDateValue,
  hasOwn,
  identical,
  integerKind,
  parseArrayIndex,
  toBigInt,
  type IntegerKind,
} from './update-values';

/** A value in the document being updated, with the chain of containers above it. */
export interface Elem {
  value: unknown;
  parent: Elem | null;
  /** Field name or array index in the parent; null for the document itself. */
  key: string | number | null;
}

export interface ApplyState {
  root: Document;
  filters: Map<string, ArrayFilterTest>;
  hadId: boolean;
  ctx: UpdateContext;
  now: Date;
  modified: boolean;
}

export type Outcome = { kind: 'noop' } | { kind: 'set'; value: unknown } | { kind: 'remove' };

export const NOOP: Outcome = { kind: 'noop' };
export const setTo = (value: unknown): Outcome => ({ kind: 'set', value });

export const elemName = (elem: Elem): string => (elem.key === null ? '' : String(elem.key));
export const elemToString = (elem: Elem): string => formatElement(elemName(elem), elem.value);

export function idElement(state: ApplyState): string {
  return hasOwn(state.root, '_id') ? formatElement('_id', state.root._id) : 'no id';
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
export function performPush(
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
export function updateExisting(
  op: LeafOp,
  elem: Elem,
  pathTaken: string[],
  state: ApplyState,
): Outcome {
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
export function valueForNewElement(op: LeafOp, state: ApplyState): { value: unknown } | undefined {
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
