/**
 * The update tree of an operator update (mongod's UpdateNode): every path of every operator is
 * merged into one tree while parsing, so that conflicting paths are refused before anything
 * applies, and each node's children apply in mongod's order.
 */
import { ErrorCode, fail } from '../../errors';
import { compareCodePoints } from './update-values';

const isDigit = (ch: string | undefined): boolean => ch !== undefined && ch >= '0' && ch <= '9';

/** mongod's cmpPathsAndArrayIndexes: numbers by magnitude, everything else as strings. */
function compareChildNames(a: string, b: string): number {
  const aNumber = a.length > 0 && isDigit(a[0]) && !(a[0] === '0' && a.length > 1);
  const bNumber = b.length > 0 && isDigit(b[0]) && !(b[0] === '0' && b.length > 1);
  if (aNumber && bNumber && a.length !== b.length) return a.length < b.length ? -1 : 1;
  return compareCodePoints(a, b);
}

export interface SortSpec {
  /** Sort whole elements (`$sort: 1|-1`) rather than by fields of embedded documents. */
  whole: boolean;
  direction: number;
  fields: Array<{ path: string[]; direction: number }>;
}

export type LeafOp =
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

export interface LeafNode {
  kind: 'leaf';
  op: LeafOp;
}

export interface ObjectNode {
  kind: 'object';
  children: Map<string, UpdateNode>;
  positional: UpdateNode | undefined;
}

/** Children keyed by array filter identifier ('' for `$[]`). */
export interface ArrayNode {
  kind: 'array';
  children: Map<string, UpdateNode>;
}

export type UpdateNode = LeafNode | ObjectNode | ArrayNode;
export type InternalNode = ObjectNode | ArrayNode;

export const newObjectNode = (): ObjectNode => ({
  kind: 'object',
  children: new Map(),
  positional: undefined,
});

export const newArrayNode = (): ArrayNode => ({ kind: 'array', children: new Map() });

export function getNodeChild(node: InternalNode, name: string): UpdateNode | undefined {
  if (node.kind === 'object' && name === '$') return node.positional;
  return node.children.get(name);
}

export function setNodeChild(node: InternalNode, name: string, child: UpdateNode): void {
  if (node.kind === 'object' && name === '$') node.positional = child;
  else node.children.set(name, child);
}

export function sortedChildren(children: Map<string, UpdateNode>): Array<[string, UpdateNode]> {
  return [...children.entries()].sort(([a], [b]) => compareChildNames(a, b));
}

/** Merges two nodes that apply to the same element (positional and array-filter updates). */
export function mergeNodes(left: UpdateNode, right: UpdateNode, path: string[]): UpdateNode {
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

export type ArrayFilterTest = (element: unknown) => boolean;

export interface ParsedUpdate {
  root: ObjectNode;
  filters: Map<string, ArrayFilterTest>;
}
