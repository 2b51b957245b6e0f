import { Aggregator } from 'mingo/aggregator';
import { Query } from 'mingo/query';
import { cloneValue, isPlainObject, toView, type Document } from '../bson/values';
import { ErrorCode, fail } from '../errors';
import { QUERY_OPTIONS, translateQueryErrors } from './matcher';

/** Projects one document: exact form in, exact form out. */
export type Projector = (doc: Document, view: Document, positional: number | undefined) => Document;

type PathTree = { [field: string]: PathTree | true };

const isTruthyFlag = (v: unknown): boolean => v === true || (typeof v === 'number' && v !== 0);
const isFlag = (v: unknown): boolean => typeof v === 'boolean' || typeof v === 'number';

function addPath(tree: PathTree, path: string): void {
  const segments = path.split('.');
  let node = tree;
  segments.forEach((segment, i) => {
    if (i === segments.length - 1) node[segment] = true;
    else {
      const next = node[segment];
      if (next === true) return;
      node = next ?? (node[segment] = {});
    }
  });
}

function include(value: unknown, tree: PathTree): unknown {
  if (Array.isArray(value)) {
    return value.filter((v) => isPlainObject(v) || Array.isArray(v)).map((v) => include(v, tree));
  }
  if (!isPlainObject(value)) return undefined;
  const out: Document = {};
  for (const [key, v] of Object.entries(value)) {
    const node = tree[key];
    if (node === true) out[key] = cloneValue(v);
    else if (node) {
      const inner = include(v, node);
      if (inner !== undefined) out[key] = inner;
    }
  }
  return out;
}

function exclude(value: unknown, tree: PathTree): unknown {
  if (Array.isArray(value))
    return value.map((v) => (isPlainObject(v) || Array.isArray(v) ? exclude(v, tree) : v));
  if (!isPlainObject(value)) return cloneValue(value);
  const out: Document = {};
  for (const [key, v] of Object.entries(value)) {
    const node = tree[key];
    if (node === true) continue;
    out[key] = node ? exclude(v, node) : cloneValue(v);
  }
  return out;
}

function slice(array: unknown[], spec: unknown): unknown[] {
  if (typeof spec === 'number') return spec >= 0 ? array.slice(0, spec) : array.slice(spec);
  if (Array.isArray(spec) && spec.length === 2) {
    const [skip, limit] = spec.map(Number) as [number, number];
    if (limit <= 0) fail(ErrorCode.BadValue, 'Invalid $slice syntax: limit must be positive');
    const start = skip >= 0 ? skip : Math.max(0, array.length + skip);
    return array.slice(start, start + limit);
  }
  return fail(ErrorCode.BadValue, '$slice only supports numbers and [skip, limit] arrays');
}

/**
 * Compiles a find-style projection: inclusion or exclusion of (dotted) fields, `_id` on unless
 * excluded, `$slice`, `$elemMatch`, positional `field.$`. Values keep their exact BSON types.
 * Projections with aggregation expressions are run through mingo's `$project` on the view.
 * Returns null for an empty projection (whole documents).
 */
export function compileProjection(projection: unknown): Projector | null {
  if (projection === undefined || projection === null) return null;
  if (!isPlainObject(projection)) fail(ErrorCode.TypeMismatch, 'projection must be an object');
  const entries = Object.entries(projection);
  if (entries.length === 0) return null;

  const special = entries.filter(
    ([, v]) => isPlainObject(v) && ('$slice' in v || '$elemMatch' in v),
  );
  const plain = entries.filter((e) => !special.includes(e));
  if (
    plain.some(([path, v]) => !isFlag(v) && !path.endsWith('.$')) ||
    special.some(([, v]) => Object.keys(v as Document).length > 1)
  ) {
    return expressionProjector(projection);
  }

  let idIncluded = true;
  let idExplicitlyIncluded = false;
  const included = new PathTreeBuilder();
  const excluded = new PathTreeBuilder();
  let positionalPath: string | null = null;
  for (const [path, value] of plain) {
    if (path === '_id') {
      idIncluded = isTruthyFlag(value);
      idExplicitlyIncluded = idIncluded;
      continue;
    }
    if (path.endsWith('.$')) {
      positionalPath = path.slice(0, -2);
      included.add(positionalPath);
    } else if (isTruthyFlag(value)) included.add(path);
    else excluded.add(path);
  }
  const elemMatches = special.filter(([, v]) => '$elemMatch' in (v as Document));
  const slices = special.filter(([, v]) => '$slice' in (v as Document));
  for (const [path] of elemMatches) included.add(path);
  if (included.count > 0 && excluded.count > 0) {
    const [path] = plain.find(([p, v]) => p !== '_id' && !isTruthyFlag(v)) ?? ['?'];
    fail(31254, `Cannot do exclusion on field ${path} in inclusion projection`);
  }
  // `{_id: 1}` alone (or beside `$slice`s) is an inclusion of `_id` only, as in mongod.
  const inclusion = included.count > 0 || (idExplicitlyIncluded && excluded.count === 0);
  // $slice neither makes a projection inclusive nor exclusive; in an inclusion it is included.
  if (inclusion) for (const [path] of slices) included.add(path);
  if (!idIncluded && !inclusion) excluded.add('_id');
  // As the query operator tests it, so `{$elemMatch: {$gte: 80}}` works on arrays of scalars too.
  const elemMatchQueries = elemMatches.map(([path, v]): [string, Query] => [
    path,
    translateQueryErrors(
      () => new Query({ v: { $elemMatch: toView((v as Document).$elemMatch) } }, QUERY_OPTIONS),
    ),
  ]);

  return (doc, view, positional) => {
    let out: Document;
    if (inclusion) {
      out = include(doc, included.tree) as Document;
      if (idIncluded && '_id' in doc) out = { _id: doc._id, ...out };
      else delete out._id;
    } else out = exclude(doc, excluded.tree) as Document;
    if (positionalPath !== null) {
      const value = out[positionalPath];
      if (Array.isArray(value)) {
        if (positional === undefined) {
          fail(
            ErrorCode.BadValue,
            "Executor error during find command :: caused by :: positional operator '.$' couldn't find a matching element in the array",
          );
        }
        out[positionalPath] = value.slice(positional, positional + 1);
      }
    }
    for (const [path, query] of elemMatchQueries) {
      const values = doc[path];
      const views = view[path];
      delete out[path];
      if (Array.isArray(values) && Array.isArray(views)) {
        const index = views.findIndex((element) => query.test({ v: [element] }));
        if (index >= 0) out[path] = [cloneValue(values[index])];
      }
    }
    for (const [path, spec] of slices) sliceAtPath(out, path.split('.'), (spec as Document).$slice);
    return out;
  };
}

/** Applies a `$slice` to the array(s) a dotted path reaches in a projected document. */
function sliceAtPath(value: unknown, segments: string[], spec: unknown): void {
  if (Array.isArray(value)) {
    for (const element of value) sliceAtPath(element, segments, spec);
    return;
  }
  if (!isPlainObject(value)) return;
  const [head, ...rest] = segments as [string, ...string[]];
  const child = value[head];
  if (rest.length > 0) sliceAtPath(child, rest, spec);
  else if (Array.isArray(child)) value[head] = slice(child, spec);
}

class PathTreeBuilder {
  readonly tree: PathTree = {};
  count = 0;
  add(path: string): void {
    addPath(this.tree, path);
    this.count++;
  }
}

function expressionProjector(projection: Document): Projector {
  const aggregator = translateQueryErrors(
    () => new Aggregator([{ $project: toView(projection) }], QUERY_OPTIONS),
  );
  return (_doc, view) => {
    const [out] = translateQueryErrors(() => aggregator.run([view])) as Document[];
    return out ?? {};
  };
}
