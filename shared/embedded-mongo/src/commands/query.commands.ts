import { Long } from 'bson';
import { isPlainObject, type Document } from '../bson/values';
import { compareCollated } from '../query/collation';
import type { ResultItem } from '../cursors';
import { ErrorCode, fail } from '../errors';
import { compileFilter, positionalIndex, type Matcher } from '../query/matcher';
import { MISSING, valuesAtPath } from '../query/paths';
import { parseSort } from '../query/planner';
import { compileProjection } from '../query/projection';
import type { Hit } from '../storage/collection';
import {
  documentOption,
  letVariables,
  numberOption,
  operationCollation,
  targetCollection,
  type CommandHandler,
} from './command-context';
import { runPipeline, streamPipeline } from './aggregate.commands';

function* mapItems(docs: Iterable<Document>): Generator<ResultItem> {
  for (const doc of docs) yield { doc };
}

function nonNegative(command: Document, field: string): number | undefined {
  const value = numberOption(command, field);
  if (value !== undefined && value < 0)
    fail(ErrorCode.BadValue, `${field} must be non-negative, but received: ${value}`);
  return value;
}

/** `{field: {$meta: ...}}` entries of a find projection, which name no stored field. */
type MetaField = [field: string, kind: 'textScore' | 'geoNearDistance' | 'geoNearPoint'];

const META_KINDS = new Set(['textScore', 'geoNearDistance', 'geoNearPoint']);

/**
 * Splits `$meta` fields from a find projection: they neither include nor exclude, and are added
 * to each projected document (40218 when the query has no such metadata, as mongod answers).
 */
function splitMetaFields(
  projection: unknown,
  matcher: Matcher,
): { rest: unknown; meta: MetaField[] } {
  if (!isPlainObject(projection)) return { rest: projection, meta: [] };
  const rest: Document = {};
  const meta: MetaField[] = [];
  for (const [field, value] of Object.entries(projection)) {
    if (!isPlainObject(value) || !('$meta' in value)) {
      rest[field] = value;
      continue;
    }
    const kind = value.$meta;
    if (typeof kind !== 'string' || !META_KINDS.has(kind)) {
      fail(
        ErrorCode.NotImplemented,
        `$meta ${JSON.stringify(kind)} is not supported by the embedded MongoDB engine`,
      );
    }
    const available =
      kind === 'textScore' ? matcher.text !== undefined : matcher.near !== undefined;
    if (!available) {
      fail(
        40218,
        `query requires ${kind === 'textScore' ? 'text score' : 'geo near'} metadata, but it is not available`,
      );
    }
    meta.push([field, kind as MetaField[1]]);
  }
  return { rest, meta };
}

/** Query hits as cursor items, projected when a projection is given, produced lazily. */
function* projectHits(
  hits: Iterable<Hit>,
  projection: unknown,
  matcher: Matcher,
): Generator<ResultItem> {
  const { rest, meta } = splitMetaFields(projection, matcher);
  const projector = compileProjection(rest);
  for (const { record, score, distance, location } of hits) {
    if (!projector && meta.length === 0) {
      yield { doc: record.doc, size: record.size };
      continue;
    }
    const doc = projector
      ? projector(record.doc, record.view, positionalIndex(matcher.filter, record.view))
      : { ...record.doc };
    for (const [field, kind] of meta) {
      doc[field] =
        kind === 'textScore' ? score : kind === 'geoNearDistance' ? distance : location?.geometry;
    }
    yield { doc };
  }
}

const find: CommandHandler = (command, db, ctx) => {
  const name = targetCollection(command, 'find');
  const ns = `${db}.${name}`;
  const collection = ctx.catalog.getCollection(db, name);
  const filter = documentOption(command, 'filter') ?? {};
  const matcher = compileFilter(filter, {
    collation: operationCollation(command, collection),
    variables: letVariables(command),
  });
  const sort = parseSort(command.sort);
  const skip = nonNegative(command, 'skip') ?? 0;
  const rawLimit = numberOption(command, 'limit') ?? 0;
  const batchSize = nonNegative(command, 'batchSize');
  if (!collection) return { cursor: { firstBatch: [], id: Long.ZERO, ns }, ok: 1 };
  if (collection.isView) {
    // A find on a view is an aggregation of the view's pipeline and the find's stages.
    const stages: Document[] = [{ $match: filter }];
    if (isPlainObject(command.sort) && Object.keys(command.sort).length > 0)
      stages.push({ $sort: command.sort });
    if (skip > 0) stages.push({ $skip: skip });
    if (rawLimit !== 0) stages.push({ $limit: Math.abs(rawLimit) });
    if (isPlainObject(command.projection) && Object.keys(command.projection).length > 0)
      stages.push({ $project: command.projection });
    const docs = streamPipeline(ctx.catalog, db, name, stages, {
      collation: matcher.collation,
      variables: letVariables(command),
    });
    return ctx.cursors.open(
      ns,
      mapItems(docs),
      batchSize,
      command.singleBatch === true || rawLimit < 0,
    );
  }
  const hits = collection.hits(matcher, {
    sort,
    skip,
    limit: Math.abs(rawLimit),
    hint: command.hint,
  });
  const items = projectHits(hits, command.projection, matcher);
  // A negative limit (legacy) or singleBatch asks for one batch and no cursor.
  const singleBatch = command.singleBatch === true || rawLimit < 0;
  return ctx.cursors.open(
    ns,
    items,
    batchSize ?? (rawLimit !== 0 ? Math.abs(rawLimit) : undefined),
    singleBatch,
  );
};

const getMore: CommandHandler = (command, db, ctx) => {
  const id = command.getMore;
  if (!(id instanceof Long) && typeof id !== 'number') {
    fail(ErrorCode.TypeMismatch, "Field 'getMore' must be of type long in: getMore");
  }
  const name = targetCollection(command, 'collection');
  return ctx.cursors.getMore(
    typeof id === 'number' ? Long.fromNumber(id) : id,
    `${db}.${name}`,
    nonNegative(command, 'batchSize'),
  );
};

const killCursors: CommandHandler = (command, _db, ctx) => {
  targetCollection(command, 'killCursors');
  const ids = command.cursors;
  if (!Array.isArray(ids)) fail(ErrorCode.TypeMismatch, "Field 'cursors' must be an array");
  return ctx.cursors.kill(ids.map((id) => (id instanceof Long ? id : Long.fromNumber(Number(id)))));
};

const count: CommandHandler = (command, db, ctx) => {
  const name = targetCollection(command, 'count');
  const collection = ctx.catalog.getCollection(db, name);
  const collation = operationCollation(command, collection);
  if (!collection) return { n: 0, ok: 1 };
  const skip = nonNegative(command, 'skip') ?? 0;
  const limit = Math.abs(numberOption(command, 'limit') ?? 0);
  const matcher = compileFilter(documentOption(command, 'query'), { collation });
  if (collection.isView) {
    const stages: Document[] = [{ $match: matcher.filter }];
    if (skip > 0) stages.push({ $skip: skip });
    if (limit > 0) stages.push({ $limit: limit });
    stages.push({ $count: 'n' });
    const [counted] = runPipeline(ctx.catalog, db, name, stages, { collation });
    return { n: (counted?.n as number | undefined) ?? 0, ok: 1 };
  }
  const n =
    Object.keys(matcher.filter).length === 0 && !command.hint
      ? Math.max(0, collection.count - skip)
      : collection.countMatching(matcher, command.hint) - skip;
  return { n: Math.max(0, limit > 0 ? Math.min(n, limit) : n), ok: 1 };
};

const distinct: CommandHandler = (command, db, ctx) => {
  const name = targetCollection(command, 'distinct');
  const key = command.key;
  if (typeof key !== 'string') fail(ErrorCode.TypeMismatch, "Field 'key' must be of type string");
  const collection = ctx.catalog.getCollection(db, name);
  const collation = operationCollation(command, collection);
  if (!collection) return { values: [], ok: 1 };
  const matcher = compileFilter(documentOption(command, 'query'), { collation });
  const docs = collection.isView
    ? runPipeline(ctx.catalog, db, name, [{ $match: matcher.filter }], { collation })
    : collection.query(matcher, { hint: command.hint }).map((record) => record.doc);
  const values: unknown[] = [];
  for (const doc of docs) {
    for (const value of valuesAtPath(doc, key)) {
      if (value === MISSING) continue;
      for (const v of Array.isArray(value) ? value : [value]) values.push(v);
    }
  }
  // Values equal under the collation are one value: the first in sort order stands for them.
  const compare = (a: unknown, b: unknown): number => compareCollated(collation, a, b);
  values.sort(compare);
  const unique = values.filter((v, i) => i === 0 || compare(v, values[i - 1]) !== 0);
  return { values: unique, ok: 1 };
};

/** Read commands: find, getMore, killCursors, count, distinct. */
export const queryCommands: Record<string, CommandHandler> = {
  find,
  getMore,
  killCursors,
  count,
  distinct,
};
