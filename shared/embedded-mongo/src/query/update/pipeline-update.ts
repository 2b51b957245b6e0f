/**
 * Pipeline-style updates (an update given as an array of aggregation stages): the stages run on
 * the document and their result replaces it, `_id` kept.
 */
import { Aggregator } from 'mingo';
import { Decimal128, Double, Int32, Long } from 'bson';

import { cloneValue, isPlainObject, setOwnField, toView } from '../../bson/values';
import type { Document } from '../../bson/values';
import { ErrorCode, fail, MongoServerError } from '../../errors';
import { replaceDocument } from './replacement';
import type { UpdateContext, UpdateOutcome } from './update-context';
import { hasOwn } from './update-values';

// Error codes mongod uses that errors.ts does not list (their codeName falls back to LocationNN).
const STAGE_NOT_ONE_FIELD = 40323;
const UNRECOGNIZED_STAGE = 40324;

const PIPELINE_UPDATE_STAGES = new Set([
  '$addFields',
  '$set',
  '$project',
  '$unset',
  '$replaceRoot',
  '$replaceWith',
]);

const KNOWN_STAGES = new Set([
  '$bucket',
  '$bucketAuto',
  '$changeStream',
  '$changeStreamSplitLargeEvent',
  '$collStats',
  '$count',
  '$currentOp',
  '$densify',
  '$documents',
  '$facet',
  '$fill',
  '$geoNear',
  '$graphLookup',
  '$group',
  '$indexStats',
  '$limit',
  '$listLocalSessions',
  '$listSampledQueries',
  '$listSearchIndexes',
  '$listSessions',
  '$lookup',
  '$match',
  '$merge',
  '$out',
  '$planCacheStats',
  '$redact',
  '$sample',
  '$search',
  '$searchMeta',
  '$setWindowFields',
  '$shardedDataDistribution',
  '$skip',
  '$sort',
  '$sortByCount',
  '$unionWith',
  '$unwind',
  '$vectorSearch',
]);

/** Replaces `$$NOW` (which mingo always takes from the clock) with the update's time. */
function substituteNow(value: unknown, now: Date): unknown {
  if (value === '$$NOW') return { $literal: new Date(now.getTime()) };
  if (Array.isArray(value)) return value.map((item) => substituteNow(item, now));
  if (isPlainObject(value)) {
    if (hasOwn(value, '$literal')) return value;
    const out: Document = {};
    for (const key of Object.keys(value)) setOwnField(out, key, substituteNow(value[key], now));
    return out;
  }
  return value;
}

const isWrapper = (value: unknown): boolean =>
  value instanceof Double ||
  value instanceof Long ||
  value instanceof Decimal128 ||
  value instanceof Int32;

/**
 * Brings a pipeline result computed on the view back to exact form: a number where the original
 * document held a numeric wrapper of the same value gets the wrapper back, and fields the
 * pipeline left unset (undefined) are dropped.
 */
function restoreExactForm(result: unknown, original: unknown): unknown {
  if (typeof result === 'number' && isWrapper(original)) {
    return Object.is(toView(original), result) ? original : result;
  }
  if (Array.isArray(result)) {
    const before = Array.isArray(original) ? original : [];
    return result.map((item, i) => (item === undefined ? null : restoreExactForm(item, before[i])));
  }
  if (isPlainObject(result)) {
    const before = isPlainObject(original) ? original : {};
    const out: Document = {};
    for (const key of Object.keys(result)) {
      const value = result[key];
      if (value !== undefined) {
        setOwnField(
          out,
          key,
          restoreExactForm(value, hasOwn(before, key) ? before[key] : undefined),
        );
      }
    }
    return out;
  }
  return result;
}

/**
 * Pipeline-style update: runs the stages ($addFields/$set, $project, $unset, $replaceRoot,
 * $replaceWith) with mingo on the document's view and returns the result as a replacement
 * (`_id` may not change; if the result drops it, the original is kept). Other stages are
 * InvalidOptions (72) "<stage> is not allowed to be used within an update".
 */
export function applyPipelineUpdate(
  doc: Document,
  pipeline: Document[],
  ctx: UpdateContext = {},
): UpdateOutcome {
  if (ctx.arrayFilters && ctx.arrayFilters.length > 0) {
    fail(ErrorCode.FailedToParse, 'arrayFilters may not be specified for pipeline-style updates');
  }
  for (const stage of pipeline) {
    if (!isPlainObject(stage)) {
      fail(ErrorCode.TypeMismatch, "Each element of the 'pipeline' array must be an object");
    }
    const names = Object.keys(stage);
    const [name] = names;
    if (name === undefined || names.length !== 1) {
      fail(
        STAGE_NOT_ONE_FIELD,
        'A pipeline stage specification object must contain exactly one field.',
      );
    }
    if (!PIPELINE_UPDATE_STAGES.has(name)) {
      if (!KNOWN_STAGES.has(name)) {
        fail(UNRECOGNIZED_STAGE, `Unrecognized pipeline stage name: '${name}'`);
      }
      fail(ErrorCode.InvalidOptions, `${name} is not allowed to be used within an update`);
    }
  }
  const now = ctx.now ?? new Date();
  const stages = pipeline.map((stage) => substituteNow(stage, now) as Document);
  // mingo may modify its input in place, and the view of a wrapper-free document is the document.
  const input = cloneValue(toView(doc)) as Document;
  let results: unknown[];
  try {
    results = new Aggregator(
      stages,
      ctx.variables ? { variables: toView(ctx.variables) as Document } : {},
    ).run([input]);
  } catch (error) {
    if (error instanceof MongoServerError) throw error;
    const message = error instanceof Error ? error.message : String(error);
    return fail(ErrorCode.BadValue, message);
  }
  const [result] = results;
  if (!isPlainObject(result)) {
    return fail(ErrorCode.BadValue, 'The update pipeline did not produce a document');
  }
  const restored = restoreExactForm(result, doc) as Document;
  return replaceDocument(doc, restored);
}
