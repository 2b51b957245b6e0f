/**
 * Views (`create` with `viewOn` and `pipeline`): read-only collections whose documents are the
 * output of a pipeline on another collection (or view), computed when read.
 */
import { isPlainObject, type Document } from '../bson/values';
import { ErrorCode, fail } from '../errors';
import type { Catalog } from '../storage/catalog';

/** Throws what mongod answers for a write or an index on a view (166). */
export function failOnView(db: string, name: string): never {
  return fail(
    ErrorCode.CommandNotSupportedOnView,
    `Namespace ${db}.${name} is a view, not a collection`,
  );
}

/** Stages a view's pipeline may not hold. */
const WRITING_STAGES = new Set(['$out', '$merge']);

/** Validates a `create` of a view: `viewOn` a collection name, `pipeline` an array of stages. */
export function checkViewOptions(db: string, options: Document, catalog: Catalog): void {
  if (typeof options.viewOn !== 'string' || options.viewOn === '') {
    fail(ErrorCode.TypeMismatch, "'viewOn' must be a non-empty string");
  }
  const pipeline = options.pipeline ?? [];
  if (!Array.isArray(pipeline) || !pipeline.every(isPlainObject)) {
    fail(ErrorCode.TypeMismatch, "'pipeline' must be an array of pipeline stages");
  }
  for (const stage of pipeline) {
    const name = Object.keys(stage)[0] ?? '';
    if (WRITING_STAGES.has(name)) {
      fail(ErrorCode.OptionNotSupportedOnView, `${name} cannot be used in a view definition`);
    }
  }
  options.pipeline = pipeline;
  if (viewSource(catalog, db, options.viewOn, new Set([options.viewOn])) === undefined) {
    fail(ErrorCode.GraphContainsCycle, `View cycle detected on ${db}.${options.viewOn}`);
  }
}

/** What a read of a view runs: the collection at the end of its chain, and the pipeline there. */
export interface ResolvedView {
  source: string;
  pipeline: Document[];
}

function viewSource(
  catalog: Catalog,
  db: string,
  name: string,
  seen: Set<string>,
): ResolvedView | undefined {
  const collection = catalog.getCollection(db, name);
  if (!collection?.isView) return { source: name, pipeline: [] };
  const on = collection.options.viewOn as string;
  if (seen.has(on)) return undefined;
  seen.add(on);
  const inner = viewSource(catalog, db, on, seen);
  if (!inner) return undefined;
  return {
    source: inner.source,
    pipeline: [...inner.pipeline, ...(collection.options.pipeline as Document[])],
  };
}

/** The view `name` resolved to its source collection, or undefined when `name` is no view. */
export function resolveView(catalog: Catalog, db: string, name: string): ResolvedView | undefined {
  if (!catalog.getCollection(db, name)?.isView) return undefined;
  return viewSource(catalog, db, name, new Set([name]));
}
