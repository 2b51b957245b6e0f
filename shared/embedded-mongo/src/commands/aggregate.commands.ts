import { Aggregator } from 'mingo/aggregator';
import * as pipelineOperators from 'mingo/operators/pipeline';
import { isPlainObject, type Document } from '../bson/values';
import { ErrorCode, fail } from '../errors';
import type { Collation } from '../query/collation';
import { compileFilter, mingoOptions, translateQueryErrors } from '../query/matcher';
import type { Catalog } from '../storage/catalog';
import { geoNearStage } from './geo-near.stage';
import {
  letVariables,
  numberOption,
  operationCollation,
  type CommandHandler,
} from './command-context';
import { explainCommand } from './explain.commands';
import { runMerge, runOut } from './pipeline-writes';
import { resolveView } from './views';

const UNSUPPORTED_STAGES = new Set([
  '$changeStream',
  '$currentOp',
  '$listSessions',
  '$indexStats',
  '$collStats',
  '$search',
  '$searchMeta',
  '$planCacheStats',
]);

/** mongod's code for a stage name it does not know. */
const UNRECOGNIZED_STAGE = 40324;

/** Where a pipeline runs: on a collection, inside `$facet`, or inside `$lookup`/`$unionWith`. */
type PipelineContext = 'top' | 'facet' | 'sub';

function checkPipeline(
  pipeline: unknown,
  context: PipelineContext = 'top',
): asserts pipeline is Document[] {
  if (!Array.isArray(pipeline))
    fail(ErrorCode.TypeMismatch, "'pipeline' option must be specified as an array");
  pipeline.forEach((stage: unknown, position) => {
    if (!isPlainObject(stage) || Object.keys(stage).length !== 1) {
      fail(
        ErrorCode.FailedToParse,
        'A pipeline stage specification object must contain exactly one field.',
      );
    }
    const [name] = Object.keys(stage) as [string];
    const leading = name === '$geoNear' || (name === '$match' && containsText(stage.$match));
    if (leading && position === 0 && context === 'sub') {
      // mingo runs sub-pipelines on its own, without the engine's indexes.
      fail(
        ErrorCode.NotImplemented,
        `${name === '$geoNear' ? '$geoNear' : '$text'} in a $lookup or $unionWith pipeline is not supported by the embedded MongoDB engine`,
      );
    }
    if (name === '$listLocalSessions') {
      if (position !== 0 || context !== 'top')
        fail(40602, '$listLocalSessions is only valid as the first stage in a pipeline.');
      return;
    }
    if (
      (name === '$out' || name === '$merge') &&
      (position !== pipeline.length - 1 || context !== 'top')
    ) {
      fail(40601, `${name} can only be the final stage in the pipeline`);
    }
    if (name === '$geoNear') {
      if (position !== 0 || context === 'facet')
        fail(40602, '$geoNear is only valid as the first stage in a pipeline.');
      return;
    }
    if (leading && (position !== 0 || context === 'facet')) {
      fail(17313, '$match with $text is only allowed as the first pipeline stage');
    }
    if (UNSUPPORTED_STAGES.has(name)) {
      fail(ErrorCode.NotImplemented, `${name} is not supported by the embedded MongoDB engine`);
    }
    if (!Object.prototype.hasOwnProperty.call(pipelineOperators, name)) {
      fail(UNRECOGNIZED_STAGE, `Unrecognized pipeline stage name: '${name}'`);
    }
    if (name === '$lookup' || name === '$unionWith' || name === '$facet') {
      const inner = stage[name];
      if (isPlainObject(inner) && Array.isArray(inner.pipeline))
        checkPipeline(inner.pipeline, 'sub');
      if (name === '$facet' && isPlainObject(inner))
        for (const sub of Object.values(inner)) checkPipeline(sub, 'facet');
    }
  });
}

const containsText = (filter: unknown): boolean =>
  isPlainObject(filter) &&
  Object.entries(filter).some(
    ([key, value]) =>
      key === '$text' || (key === '$and' && Array.isArray(value) && value.some(containsText)),
  );

/**
 * Where a pipeline carries a document's text score: `{$meta: 'textScore'}` in later stages is
 * rewritten to read this field, which the output documents lose again.
 */
const TEXT_SCORE_FIELD = '__embeddedMongoTextScore';

/** True when a stage value uses `{$meta: 'textScore'}` anywhere. */
const usesTextScore = (value: unknown): boolean =>
  Array.isArray(value)
    ? value.some(usesTextScore)
    : isPlainObject(value) &&
      ((value.$meta === 'textScore' && Object.keys(value).length === 1) ||
        Object.values(value).some(usesTextScore));

/**
 * Rewrites `{$meta: 'textScore'}` to a reference to {@link TEXT_SCORE_FIELD}, and a `$sort` key
 * `{$meta: 'textScore'}` to a descending sort on it.
 */
function rewriteTextScore(stage: Document): Document {
  const rewrite = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(rewrite);
    if (!isPlainObject(value)) return value;
    if (value.$meta === 'textScore' && Object.keys(value).length === 1)
      return `$${TEXT_SCORE_FIELD}`;
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, rewrite(v)]));
  };
  if (isPlainObject(stage.$sort)) {
    return {
      $sort: Object.fromEntries(
        Object.entries(stage.$sort).map(([field, direction]) =>
          isPlainObject(direction) && direction.$meta === 'textScore'
            ? [TEXT_SCORE_FIELD, -1]
            : [field, direction],
        ),
      ),
    };
  }
  return rewrite(stage) as Document;
}

function withoutTextScore(doc: Document): Document {
  if (!(TEXT_SCORE_FIELD in doc)) return doc;
  const { [TEXT_SCORE_FIELD]: _score, ...rest } = doc;
  return rest;
}

/** Runs mingo lazily, turning its errors into MongoDB errors as they surface. */
function* translated(iterator: {
  next(): { done?: boolean; value?: unknown };
}): Generator<Document> {
  for (;;) {
    const next = translateQueryErrors(() => iterator.next());
    if (next.done) return;
    yield next.value as Document;
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
 * Runs a pipeline on a collection's documents, lazily: documents flow from the collection
 * through mingo as the caller pulls them, so stages that stream (`$match`, `$project`, `$limit`,
 * `$unwind`, …) hold nothing whole; `$sort`, `$group` and the like collect their input, as in
 * mongod. A leading `$match` runs through the query planner (indexes) first, `$text` included; a
 * leading `$geoNear` through the geo index. mingo runs the rest on the documents' views, so
 * output numbers are plain numbers (Int64 and Decimal128 values come back as doubles after
 * aggregation).
 */
export function streamPipeline(
  catalog: Catalog,
  db: string,
  target: string | null,
  requested: Document[],
  options: PipelineOptions = {},
): Iterable<Document> {
  const { hint, collation, variables } = options;
  // A view reads its source collection through its own pipeline first.
  const view = target === null ? undefined : resolveView(catalog, db, target);
  const name = view ? view.source : target;
  let pipeline = view ? [...view.pipeline, ...requested] : requested;
  checkPipeline(pipeline);
  const collection = name === null ? undefined : catalog.getCollection(db, name);
  const filterOptions = { collation, variables };
  let input: Iterable<Document> = [];
  if (name === null) {
    // A database-level pipeline ({aggregate: 1}) starts with a stage that makes its documents.
    const firstName = Object.keys(pipeline[0] ?? {})[0];
    if (firstName === '$listLocalSessions') {
      input = options.localSessions?.() ?? [];
      pipeline = pipeline.slice(1);
    } else if (firstName !== '$documents') {
      fail(
        ErrorCode.InvalidNamespace,
        `{aggregate: 1} is not valid for '${firstName ?? ''}'; a collection is required.`,
      );
    }
  }
  const counted = name === null ? null : countingGroup(pipeline);
  if (counted) {
    // The shape of countDocuments: count what the planner selects, without handing every
    // matching document to mingo (which copies each one).
    const count = collection
      ? collection.countMatching(compileFilter(counted.filter, filterOptions), hint)
      : 0;
    if (count === 0) return [];
    return [Object.fromEntries([['_id', counted.id], ...counted.fields.map((f) => [f, count])])];
  }
  let stages = pipeline;
  let scored = false;
  const first = stages[0];
  if (first && isPlainObject(first.$geoNear)) {
    const spec = first.$geoNear;
    stages = stages.slice(1);
    input = collection ? geoNearStage(collection, spec) : [];
  } else if (first && isPlainObject(first.$match)) {
    const matcher = compileFilter(first.$match, filterOptions);
    stages = stages.slice(1);
    scored = matcher.text !== undefined;
    if (collection) {
      const hits = collection.hits(matcher, { hint });
      input = scored
        ? mapIterable(hits, (hit) => ({ ...hit.record.view, [TEXT_SCORE_FIELD]: hit.score }))
        : mapIterable(hits, (hit) => hit.record.view);
    }
  } else if (collection) input = mapIterable(collection.allRecords(), (r) => r.view);
  if (stages.some(usesTextScore)) {
    if (!scored) fail(40218, 'query requires text score metadata, but it is not available');
    stages = stages.map(rewriteTextScore);
  }
  const mingo = {
    ...mingoOptions(filterOptions),
    // Views are shared with the store: mingo must copy before changing anything.
    processingMode: 1,
    collectionResolver: (other: string): Document[] => {
      const target = catalog.getCollection(db, other);
      return target ? [...target.allRecords()].map((r) => r.view) : [];
    },
  };
  const output =
    stages.length === 0
      ? input
      : translated(translateQueryErrors(() => new Aggregator(stages, mingo).stream(input)));
  return scored ? mapIterable(output, withoutTextScore) : output;
}

/** {@link streamPipeline}, collected (for callers that need the whole result). */
export function runPipeline(
  catalog: Catalog,
  db: string,
  name: string | null,
  pipeline: Document[],
  options: PipelineOptions = {},
): Document[] {
  return [...streamPipeline(catalog, db, name, pipeline, options)];
}

/** How a pipeline runs: an index hint, a collation, `let` variables, the local sessions. */
export interface PipelineOptions {
  hint?: unknown;
  collation?: Collation;
  variables?: Document;
  /** The sessions `$listLocalSessions` lists (database-level pipelines). */
  localSessions?: () => Document[];
}

function* mapIterable<T, R>(items: Iterable<T>, f: (item: T) => R): Generator<R> {
  for (const item of items) yield f(item);
}

const aggregate: CommandHandler = (command, db, ctx) => {
  const { catalog, cursors } = ctx;
  const target = command.aggregate;
  if (command.explain === true && typeof target === 'string') {
    checkPipeline(command.pipeline);
    const { explain: _explain, ...inner } = command;
    return explainCommand(inner, db, ctx, 'queryPlanner');
  }
  if (typeof target !== 'string' && target !== 1) {
    fail(
      ErrorCode.FailedToParse,
      "Invalid command format: the 'aggregate' field must specify a collection name or 1",
    );
  }
  if (!isPlainObject(command.cursor)) {
    fail(
      ErrorCode.FailedToParse,
      "The 'cursor' option is required, except for aggregate with the explain argument",
    );
  }
  const name = typeof target === 'string' ? target : null;
  const batchSize = numberOption(command.cursor, 'batchSize');
  const pipeline = command.pipeline as Document[];
  checkPipeline(pipeline);
  const options: PipelineOptions = {
    hint: command.hint,
    collation: operationCollation(
      command,
      name === null ? undefined : catalog.getCollection(db, name),
    ),
    variables: letVariables(command),
    localSessions: () => ctx.sessions.list(),
  };
  const ns = `${db}.${name ?? '$cmd.aggregate'}`;
  const last = pipeline[pipeline.length - 1] ?? {};
  if ('$out' in last || '$merge' in last) {
    // The writing stage runs on the whole output; the cursor it answers with is empty.
    const output = runPipeline(catalog, db, name, pipeline.slice(0, -1), options);
    const writer = {
      catalog,
      bypassDocumentValidation: command.bypassDocumentValidation === true,
      warnings: ctx.logger,
    };
    if ('$out' in last) runOut(writer, db, last.$out, output);
    else runMerge(writer, db, last.$merge, output);
    return cursors.open(ns, [], batchSize);
  }
  const results = streamPipeline(catalog, db, name, pipeline, options);
  return cursors.open(
    ns,
    mapIterable(results, (doc) => ({ doc })),
    batchSize,
  );
};

/** The aggregate command. */
export const aggregateCommands: Record<string, CommandHandler> = { aggregate };
