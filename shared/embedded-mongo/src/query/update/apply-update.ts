/**
 * Applying a parsed operator update to a document: the tree is walked with the children of each
 * node in mongod's order, each leaf's modifier computes its value (modifiers.ts), and the walk
 * stores it where the path exists or creates the path where it does not.
 */
import { cloneValue, isPlainObject, setOwnField } from '../../bson/values';
import type { Document } from '../../bson/values';
import { ErrorCode, fail } from '../../errors';
import {
  elemName,
  elemToString,
  idElement,
  setTo,
  updateExisting,
  valueForNewElement,
  type ApplyState,
  type Elem,
  type Outcome,
} from './modifiers';
import { parseUpdateCached } from './parse-update';
import type { UpdateContext, UpdateOutcome } from './update-context';
import {
  mergeNodes,
  sortedChildren,
  type ArrayNode,
  type LeafNode,
  type ObjectNode,
  type LeafOp,
  type UpdateNode,
} from './update-tree';
import {
  compareCodePoints,
  failDollarPrefixedField,
  hasOwn,
  parseArrayIndex,
} from './update-values';

// An error code mongod uses that errors.ts does not list (its codeName falls back to LocationNN).
const CANNOT_BACKFILL_ARRAY = 34;

const MAX_PADDING = 1500000;

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
  else setOwnField(container as Document, elem.key as string, value);
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
    setOwnField(obj, parts[i] as string, out);
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
    setOwnField(target, first, nest(rest, value));
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

function checkImmutableExisting(state: ApplyState, pathTaken: string[]): void {
  if (state.hadId && pathTaken[0] === '_id') {
    fail(
      ErrorCode.ImmutableField,
      `Performing an update on the path '${pathTaken.join('.')}' would modify the immutable field '_id'`,
    );
  }
}

/**
 * A top-level `$`-prefixed field may not be set in a document that exists (mongod's storage
 * validation of a modifying update), but may in the document an upsert inserts, which MongoDB
 * validates as an insert (MongoDB 5.0 and later).
 */
function checkTopLevelName(state: ApplyState, name: string): void {
  if (name.startsWith('$') && !state.ctx.isUpsertInsert) failDollarPrefixedField(name);
}

/** Stores a new value at an existing element (ModifierNode::applyToExistingElement). */
function commitExisting(state: ApplyState, elem: Elem, pathTaken: string[], out: Outcome): void {
  if (out.kind === 'noop') return;
  checkImmutableExisting(state, pathTaken);
  if (out.kind === 'remove') {
    removeElem(elem);
  } else {
    if (pathTaken.length === 1) checkTopLevelName(state, pathTaken[0] as string);
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
  if (pathTaken.length === 0) checkTopLevelName(state, pathToCreate[0] as string);
  if (state.hadId && pathTaken[0] === '_id') {
    fail(
      ErrorCode.ImmutableField,
      `Updating the path '${pathTaken.join('.')}' to ${elemToString(elem)} would modify the immutable field '_id'`,
    );
  }
  state.modified = true;
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
