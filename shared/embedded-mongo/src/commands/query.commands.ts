import { Long } from 'bson';
import { compareValues, type Document } from '../bson/values';
import type { ResultItem } from '../cursors';
import { ErrorCode, fail } from '../errors';
import { compileFilter, positionalIndex } from '../query/matcher';
import { MISSING, valuesAtPath } from '../query/paths';
import { parseSort } from '../query/planner';
import { compileProjection } from '../query/projection';
import type { StoredRecord } from '../storage/collection';
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

/** Materializes query results as cursor items, projected when a projection is given. */
function projectRecords(
  records: StoredRecord[],
  projection: unknown,
  filter: Document,
): ResultItem[] {
  const projector = compileProjection(projection);
  if (!projector) return records.map((r) => ({ doc: r.doc, size: r.size }));
  return records.map((r) => ({ doc: projector(r.doc, r.view, positionalIndex(filter, r.view)) }));
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
  const records = collection.query(matcher, {
    sort,
    skip,
    limit: Math.abs(rawLimit),
    hint: command.hint,
  });
  const items = projectRecords(records, command.projection, filter);
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
