import { Long } from 'bson';
import { Aggregator } from 'mingo/aggregator';
import * as pipelineOperators from 'mingo/operators/pipeline';
import { isPlainObject, type Document } from '../bson/values';
import { ErrorCode, fail } from '../errors';
import { compileFilter, QUERY_OPTIONS, translateQueryErrors } from '../query/matcher';
import type { Catalog } from '../storage/catalog';
import { numberOption, rejectUnsupportedOptions, type CommandHandler } from './command-context';

const UNSUPPORTED_STAGES = new Set([
  '$out',
  '$merge',
  '$changeStream',
  '$currentOp',
  '$listSessions',
  '$listLocalSessions',
  '$indexStats',
  '$collStats',
  '$geoNear',
  '$search',
  '$searchMeta',
  '$planCacheStats',
]);

/** mongod's code for a stage name it does not know. */
const UNRECOGNIZED_STAGE = 40324;

function checkPipeline(pipeline: unknown): asserts pipeline is Document[] {
  if (!Array.isArray(pipeline))
    fail(ErrorCode.TypeMismatch, "'pipeline' option must be specified as an array");
  for (const stage of pipeline) {
    if (!isPlainObject(stage) || Object.keys(stage).length !== 1) {
      fail(
        ErrorCode.FailedToParse,
        'A pipeline stage specification object must contain exactly one field.',
      );
    }
    const [name] = Object.keys(stage) as [string];
    if (UNSUPPORTED_STAGES.has(name)) {
      fail(ErrorCode.NotImplemented, `${name} is not supported by the embedded MongoDB engine`);
    }
    if (!Object.prototype.hasOwnProperty.call(pipelineOperators, name)) {
      fail(UNRECOGNIZED_STAGE, `Unrecognized pipeline stage name: '${name}'`);
    }
    if (name === '$lookup' || name === '$unionWith' || name === '$facet') {
      const inner = stage[name];
      if (isPlainObject(inner) && Array.isArray(inner.pipeline)) checkPipeline(inner.pipeline);
      if (name === '$facet' && isPlainObject(inner))
        for (const sub of Object.values(inner)) checkPipeline(sub);
    }
  }
}

/**
 * `[{$match}, {$group: {_id: <constant>, f: {$sum: 1}, …}}]` (how drivers count documents): the
 * filter, the constant group id and the counting fields; null for any other pipeline.
 */
function countingGroup(
  pipeline: Document[],
): { filter: Document; id: unknown; fields: string[] } | null {
  if (pipeline.length !== 2) return null;
  const [match, group] = pipeline as [Document, Document];
  if (!isPlainObject(match.$match) || !isPlainObject(group.$group)) return null;
  const { _id: id, ...rest } = group.$group;
  const constant =
    id === null ||
    typeof id === 'number' ||
    typeof id === 'boolean' ||
    (typeof id === 'string' && !id.startsWith('$'));
  if (!constant || Object.keys(rest).length === 0) return null;
  const counts = Object.entries(rest).every(
    ([field, spec]) =>
      !field.includes('.') &&
      isPlainObject(spec) &&
      Object.keys(spec).length === 1 &&
      spec.$sum === 1,
  );
  return counts ? { filter: match.$match, id, fields: Object.keys(rest) } : null;
}

/**
 * Runs a pipeline on a collection's documents. A leading `$match` runs through the query planner
 * (indexes) first; mingo runs the rest on the documents' views, so output numbers are plain
 * numbers (Int64 and Decimal128 values come back as doubles after aggregation).
 */
export function runPipeline(
  catalog: Catalog,
  db: string,
  name: string,
  pipeline: Document[],
  hint?: unknown,
): Document[] {
  checkPipeline(pipeline);
  const collection = catalog.getCollection(db, name);
  const counted = countingGroup(pipeline);
  if (counted) {
    // The shape of countDocuments: count what the planner selects, without handing every
    // matching document to mingo (which copies each one).
    const count = collection ? collection.countMatching(compileFilter(counted.filter), hint) : 0;
    if (count === 0) return [];
    return [Object.fromEntries([['_id', counted.id], ...counted.fields.map((f) => [f, count])])];
  }
  let stages = pipeline;
  let input: Document[] = [];
  if (collection) {
    const first = stages[0];
    if (first && isPlainObject(first.$match)) {
      input = collection.query(compileFilter(first.$match), { hint }).map((r) => r.view);
      stages = stages.slice(1);
    } else input = [...collection.allRecords()].map((r) => r.view);
  }
  const options = {
    ...QUERY_OPTIONS,
    // Views are shared with the store: mingo must copy before changing anything.
    processingMode: 1,
    collectionResolver: (other: string): Document[] => {
      const target = catalog.getCollection(db, other);
      return target ? [...target.allRecords()].map((r) => r.view) : [];
    },
  };
  if (stages.length === 0) return input;
  return translateQueryErrors(() => new Aggregator(stages, options).run(input) as Document[]);
}

const aggregate: CommandHandler = (command, db, { catalog, cursors }) => {
  const target = command.aggregate;
  if (command.explain === true)
    fail(ErrorCode.NotImplemented, 'explain is not supported by the embedded MongoDB engine');
  rejectUnsupportedOptions(command);
  if (typeof target !== 'string') {
    fail(
      ErrorCode.NotImplemented,
      'database-level aggregation ({aggregate: 1}) is not supported by the embedded MongoDB engine',
    );
  }
  if (!isPlainObject(command.cursor)) {
    fail(
      ErrorCode.FailedToParse,
      "The 'cursor' option is required, except for aggregate with the explain argument",
    );
  }
  const batchSize = numberOption(command.cursor, 'batchSize');
  const results = runPipeline(catalog, db, target, command.pipeline as Document[], command.hint);
  const ns = `${db}.${target}`;
  if (results.length === 0) return { cursor: { firstBatch: [], id: Long.ZERO, ns }, ok: 1 };
  return cursors.open(
    ns,
    results.map((doc) => ({ doc })),
    batchSize,
  );
};

/** The aggregate command. */
export const aggregateCommands: Record<string, CommandHandler> = { aggregate };
