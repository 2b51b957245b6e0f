import { Long } from 'bson';
import { compareValues, isPlainObject, type Document } from '../bson/values';
import type { ResultItem } from '../cursors';
import { ErrorCode, fail } from '../errors';
import { compileFilter, positionalIndex, type Matcher } from '../query/matcher';
import { MISSING, valuesAtPath } from '../query/paths';
import { parseSort } from '../query/planner';
import { compileProjection } from '../query/projection';
import type { Hit } from '../storage/collection';
import {
  documentOption,
  numberOption,
  rejectUnsupportedOptions,
  targetCollection,
  type CommandHandler,
} from './command-context';

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
  rejectUnsupportedOptions(command);
  const ns = `${db}.${name}`;
  const filter = documentOption(command, 'filter') ?? {};
  const matcher = compileFilter(filter);
  const sort = parseSort(command.sort);
  const skip = nonNegative(command, 'skip') ?? 0;
  const rawLimit = numberOption(command, 'limit') ?? 0;
  const batchSize = nonNegative(command, 'batchSize');
  const collection = ctx.catalog.getCollection(db, name);
  if (!collection) return { cursor: { firstBatch: [], id: Long.ZERO, ns }, ok: 1 };
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
  rejectUnsupportedOptions(command);
  const collection = ctx.catalog.getCollection(db, name);
  if (!collection) return { n: 0, ok: 1 };
  const skip = nonNegative(command, 'skip') ?? 0;
  const limit = Math.abs(numberOption(command, 'limit') ?? 0);
  const matcher = compileFilter(documentOption(command, 'query'));
  const n =
    Object.keys(matcher.filter).length === 0 && !command.hint
      ? Math.max(0, collection.count - skip)
      : collection.countMatching(matcher, command.hint) - skip;
  return { n: Math.max(0, limit > 0 ? Math.min(n, limit) : n), ok: 1 };
};

const distinct: CommandHandler = (command, db, ctx) => {
  const name = targetCollection(command, 'distinct');
  rejectUnsupportedOptions(command);
  const key = command.key;
  if (typeof key !== 'string') fail(ErrorCode.TypeMismatch, "Field 'key' must be of type string");
  const collection = ctx.catalog.getCollection(db, name);
  if (!collection) return { values: [], ok: 1 };
  const records = collection.query(compileFilter(documentOption(command, 'query')), {
    hint: command.hint,
  });
  const values: unknown[] = [];
  for (const record of records) {
    for (const value of valuesAtPath(record.doc, key)) {
      if (value === MISSING) continue;
      for (const v of Array.isArray(value) ? value : [value]) values.push(v);
    }
  }
  values.sort(compareValues);
  const unique = values.filter((v, i) => i === 0 || compareValues(v, values[i - 1]) !== 0);
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
