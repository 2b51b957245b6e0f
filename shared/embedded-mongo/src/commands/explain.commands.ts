import { Binary, ObjectId } from 'bson';
import { bsonTypeName, isPlainObject, type Document } from '../bson/values';
import { ErrorCode, fail } from '../errors';
import type { Collation } from '../query/collation';
import { compileFilter, type Matcher } from '../query/matcher';
import { TextSearch } from '../text/text-search';
import { parseSort, type Plan, type SortSpec } from '../query/planner';
import { HIGH, LOW, type FieldInterval } from '../storage/btree-index';
import type { Collection, QueryWork } from '../storage/collection';
import { SERVER_VERSION } from './server.commands';
import {
  documentOption,
  numberOption,
  operationCollation,
  targetCollection,
  type CommandContext,
  type CommandHandler,
} from './command-context';

/** How much explain tells: the plan only, or also what running it took. */
export type Verbosity = 'queryPlanner' | 'executionStats' | 'allPlansExecution';

/** One stage of a plan as explain shows it; `stats` is added to executionStages only. */
interface Stage {
  plan: Document;
  stats: Document;
}

function formatBound(value: unknown, other: unknown): string {
  const numeric = typeof other === 'number' || bsonTypeName(other) === 'long';
  if (value === LOW) return numeric ? '-inf.0' : typeof other === 'string' ? '""' : 'MinKey';
  if (value === HIGH) return numeric ? 'inf.0' : typeof other === 'string' ? '{}' : 'MaxKey';
  if (typeof value === 'number') {
    if (value === Infinity) return 'inf.0';
    if (value === -Infinity) return '-inf.0';
    return String(value);
  }
  if (typeof value === 'string') return JSON.stringify(value);
  if (value === null || value === undefined) return 'null';
  if (value instanceof Date) return `new Date(${value.getTime()})`;
  if (value instanceof ObjectId) return `ObjectId('${value.toHexString()}')`;
  if (value instanceof Binary) return `BinData(${value.sub_type}, ${value.toString('hex')})`;
  if (isPlainObject(value) || Array.isArray(value)) return JSON.stringify(value);
  return String(value);
}

function formatInterval(interval: FieldInterval, direction: 1 | -1): string {
  const low = formatBound(interval.low, interval.high);
  const high = formatBound(interval.high, interval.low);
  const [open, close] = [interval.lowInclusive ? '[' : '(', interval.highInclusive ? ']' : ')'];
  // mongod writes a descending field's bounds from high to low.
  return direction === 1
    ? `${open}${low}, ${high}${close}`
    : `${close === ']' ? '[' : '('}${high}, ${low}${open === '[' ? ']' : ')'}`;
}

/** The stage that finds candidates: IXSCAN under FETCH for an index, COLLSCAN otherwise. */
function accessStage(plan: Plan, filter: Document, work: QueryWork): Stage {
  const index = plan.index;
  const filterPart = Object.keys(filter).length > 0 ? { filter } : {};
  if (!index) {
    return {
      plan: { stage: 'COLLSCAN', ...filterPart, direction: plan.reverse ? 'backward' : 'forward' },
      stats: { nReturned: work.matched, docsExamined: work.docsExamined },
    };
  }
  const indexBounds: Document = {};
  index.fields.forEach((field, i) => {
    const intervals = plan.intervals[i];
    indexBounds[field.path] = intervals
      ? intervals.map((interval) => formatInterval(interval, field.direction))
      : [field.direction === 1 ? '[MinKey, MaxKey]' : '[MaxKey, MinKey]'];
  });
  const ixscan: Document = {
    stage: 'IXSCAN',
    keyPattern: index.spec.key,
    indexName: index.name,
    isMultiKey: index.multikey,
    multiKeyPaths: Object.fromEntries(index.fields.map((field) => [field.path, []])),
    isUnique: index.unique,
    isSparse: index.spec.sparse === true,
    isPartial: index.spec.partialFilterExpression !== undefined,
    indexVersion: 2,
    direction: plan.reverse ? 'backward' : 'forward',
    indexBounds,
  };
  return {
    plan: { stage: 'FETCH', ...filterPart, inputStage: ixscan },
    stats: {
      nReturned: work.matched,
      docsExamined: work.docsExamined,
      inputStage: { ...ixscan, nReturned: work.keysExamined, keysExamined: work.keysExamined },
    },
  };
}

/**
 * The stages of a `$text` query (TEXT_MATCH over TEXT_OR over the text index) or a `$near` query
 * (GEO_NEAR_2DSPHERE / GEO_NEAR_2D), as mongod names them; undefined for other queries.
 */
function searchStage(collection: Collection, matcher: Matcher, work: QueryWork): Stage | undefined {
  if (matcher.text) {
    const index = collection.textIndex();
    const ixscan = { stage: 'IXSCAN', keyPattern: index.spec.key, indexName: index.name };
    const match = {
      stage: 'TEXT_MATCH',
      indexPrefix: {},
      indexName: index.name,
      parsedTextQuery: new TextSearch(matcher.text, index.text).describe(),
      textIndexVersion: 3,
    };
    return {
      plan: { ...match, inputStage: { stage: 'TEXT_OR', inputStage: ixscan } },
      stats: {
        ...match,
        nReturned: work.matched,
        inputStage: {
          stage: 'TEXT_OR',
          nReturned: work.matched,
          docsExamined: work.docsExamined,
          inputStage: { ...ixscan, nReturned: work.keysExamined, keysExamined: work.keysExamined },
        },
      },
    };
  }
  if (matcher.near) {
    const index = collection.geoIndexFor(matcher.near.path, matcher.near.geoJson);
    const kind = index?.fields.find((f) => f.geo)?.geo === '2d' ? '2D' : '2DSPHERE';
    const near = { stage: `GEO_NEAR_${kind}`, keyPattern: index?.spec.key, indexName: index?.name };
    return {
      plan: near,
      stats: {
        ...near,
        nReturned: work.matched,
        keysExamined: work.keysExamined,
        docsExamined: work.docsExamined,
      },
    };
  }
  return undefined;
}

/** Wraps a stage in another (SORT, SKIP, LIMIT, PROJECTION_…, UPDATE, …). */
function wrap(inner: Stage, stage: Document, nReturned: number, extra: Document = {}): Stage {
  return {
    plan: { ...stage, inputStage: inner.plan },
    stats: { ...stage, nReturned, ...extra, inputStage: mergeStats(inner) },
  };
}

/** The executionStages tree: the plan with each stage's counters. */
function mergeStats(stage: Stage): Document {
  const { inputStage: planInput, ...plan } = stage.plan;
  const { inputStage: statsInput, ...stats } = stage.stats;
  const merged: Document = { ...plan, ...stats };
  if (statsInput !== undefined)
    merged.inputStage = { ...(planInput as Document), ...(statsInput as Document) };
  else if (planInput !== undefined) merged.inputStage = planInput;
  return merged;
}

interface QueryShape {
  filter: Document;
  sort: SortSpec;
  skip: number;
  limit: number;
  hint?: unknown;
  projection?: Document;
  /** The operation's collation (its own, else the collection's default). */
  collation?: Collation;
}

/** Runs the query (for its counters) and describes the plan the engine used. */
function explainQuery(
  collection: Collection | undefined,
  shape: QueryShape,
): {
  stage: Stage;
  work: QueryWork;
  returned: number;
} {
  const work: QueryWork = { keysExamined: 0, docsExamined: 0, matched: 0 };
  const matcher = compileFilter(shape.filter, { collation: shape.collation });
  if (!collection) {
    return {
      stage: { plan: { stage: 'EOF' }, stats: { nReturned: 0 } },
      work,
      returned: 0,
    };
  }
  const plan = collection.plan(shape.filter, shape.sort, shape.hint, shape.collation);
  const returned = collection.query(
    matcher,
    { sort: shape.sort, skip: shape.skip, limit: shape.limit, hint: shape.hint },
    work,
  ).length;
  const search = searchStage(collection, matcher, work);
  let stage = search ?? accessStage(plan, shape.filter, work);
  const sorted = shape.sort.length > 0 && (search !== undefined || !plan.providesSort);
  if (sorted) {
    stage = wrap(
      stage,
      {
        stage: 'SORT',
        sortPattern: Object.fromEntries(
          shape.sort.map(([path, direction, meta]) => [path, meta ? { $meta: meta } : direction]),
        ),
        memLimit: 104857600,
        ...(shape.limit > 0 ? { limitAmount: shape.skip + shape.limit } : {}),
        type: 'simple',
      },
      Math.min(work.matched, shape.limit > 0 ? shape.skip + shape.limit : Infinity),
    );
  }
  if (shape.skip > 0) stage = wrap(stage, { stage: 'SKIP', skipAmount: shape.skip }, returned);
  if (shape.limit > 0 && !sorted)
    stage = wrap(stage, { stage: 'LIMIT', limitAmount: shape.limit }, returned);
  if (shape.projection && Object.keys(shape.projection).length > 0) {
    stage = wrap(stage, { stage: 'PROJECTION_DEFAULT', transformBy: shape.projection }, returned);
  }
  return { stage, work, returned };
}

function queryPlanner(ns: string, filter: Document, stage: Stage): Document {
  return {
    namespace: ns,
    indexFilterSet: false,
    parsedQuery: filter,
    maxIndexedOrSolutionsReached: false,
    maxIndexedAndSolutionsReached: false,
    maxScansToExplodeReached: false,
    winningPlan: stage.plan,
    rejectedPlans: [],
  };
}

function executionStats(
  stage: Stage,
  work: QueryWork,
  returned: number,
  verbosity: Verbosity,
): Document {
  return {
    executionSuccess: true,
    nReturned: returned,
    executionTimeMillis: 0,
    totalKeysExamined: work.keysExamined,
    totalDocsExamined: work.docsExamined,
    executionStages: mergeStats(stage),
    ...(verbosity === 'allPlansExecution' ? { allPlansExecution: [] } : {}),
  };
}

function parseVerbosity(value: unknown): Verbosity {
  if (value === undefined || value === true) return 'allPlansExecution';
  if (value === 'queryPlanner' || value === 'executionStats' || value === 'allPlansExecution')
    return value;
  return fail(
    ErrorCode.BadValue,
    `verbosity string must be one of {'queryPlanner', 'executionStats', 'allPlansExecution'}`,
  );
}

function firstStatement(command: Document, field: string): Document {
  const list = command[field];
  if (!Array.isArray(list) || list.length !== 1 || !isPlainObject(list[0])) {
    fail(ErrorCode.InvalidLength, `explained ${field} must have exactly one statement`);
  }
  return list[0];
}

/** The explained command's query, and how its result wraps the plan. */
function describe(
  inner: Document,
  db: string,
  ctx: CommandContext,
): {
  ns: string;
  filter: Document;
  stage: Stage;
  work: QueryWork;
  returned: number;
  pipeline?: Document[];
} {
  const name = Object.keys(inner)[0] ?? '';
  const collectionOf = (field: string): [string, Collection | undefined] => {
    const target = targetCollection(inner, field);
    return [`${db}.${target}`, ctx.catalog.getCollection(db, target)];
  };
  switch (name) {
    case 'find': {
      const [ns, collection] = collectionOf('find');
      const filter = documentOption(inner, 'filter') ?? {};
      const shape: QueryShape = {
        filter,
        sort: parseSort(inner.sort),
        skip: numberOption(inner, 'skip') ?? 0,
        limit: Math.abs(numberOption(inner, 'limit') ?? 0),
        hint: inner.hint,
        collation: operationCollation(inner, collection),
        projection: documentOption(inner, 'projection'),
      };
      return { ns, filter, ...explainQuery(collection, shape) };
    }
    case 'count': {
      const [ns, collection] = collectionOf('count');
      const filter = documentOption(inner, 'query') ?? {};
      if (Object.keys(filter).length === 0 && !inner.hint) {
        const n = collection?.count ?? 0;
        return {
          ns,
          filter,
          stage: {
            plan: { stage: 'RECORD_STORE_FAST_COUNT' },
            stats: { nReturned: 0, nCounted: n },
          },
          work: { keysExamined: 0, docsExamined: 0, matched: n },
          returned: 0,
        };
      }
      const described = explainQuery(collection, {
        filter,
        sort: [],
        skip: 0,
        limit: 0,
        hint: inner.hint,
        collation: operationCollation(inner, collection),
      });
      return {
        ns,
        filter,
        ...described,
        stage: wrap(described.stage, { stage: 'COUNT' }, 0, { nCounted: described.returned }),
        returned: 0,
      };
    }
    case 'distinct': {
      const [ns, collection] = collectionOf('distinct');
      const filter = documentOption(inner, 'query') ?? {};
      const described = explainQuery(collection, {
        filter,
        sort: [],
        skip: 0,
        limit: 0,
        hint: inner.hint,
        collation: operationCollation(inner, collection),
      });
      return {
        ns,
        filter,
        ...described,
        stage: wrap(
          described.stage,
          { stage: 'PROJECTION_DEFAULT', transformBy: { [String(inner.key)]: 1 } },
          described.returned,
        ),
      };
    }
    case 'update':
    case 'delete': {
      const [ns, collection] = collectionOf(name);
      const statement = firstStatement(inner, name === 'update' ? 'updates' : 'deletes');
      const filter = documentOption(statement, 'q') ?? {};
      const single =
        name === 'update' ? statement.multi !== true : numberOption(statement, 'limit') === 1;
      const described = explainQuery(collection, {
        filter,
        sort: [],
        skip: 0,
        limit: single ? 1 : 0,
        hint: statement.hint,
        collation: operationCollation(statement, collection),
      });
      const counters =
        name === 'update'
          ? {
              nMatched: described.returned,
              nWouldModify: described.returned,
              nWouldUpsert: described.returned === 0 && statement.upsert === true ? 1 : 0,
            }
          : { nWouldDelete: described.returned };
      return {
        ns,
        filter,
        ...described,
        stage: wrap(
          described.stage,
          { stage: name === 'update' ? 'UPDATE' : 'DELETE' },
          0,
          counters,
        ),
        returned: 0,
      };
    }
    case 'findAndModify':
    case 'findandmodify': {
      const [ns, collection] = collectionOf(name);
      const filter = documentOption(inner, 'query') ?? {};
      const described = explainQuery(collection, {
        filter,
        sort: parseSort(inner.sort),
        skip: 0,
        limit: 1,
        hint: inner.hint,
        collation: operationCollation(inner, collection),
      });
      return {
        ns,
        filter,
        ...described,
        stage: wrap(described.stage, { stage: inner.remove === true ? 'DELETE' : 'UPDATE' }, 0),
        returned: 0,
      };
    }
    case 'aggregate': {
      const [ns, collection] = collectionOf('aggregate');
      const pipeline = inner.pipeline;
      if (!Array.isArray(pipeline))
        fail(ErrorCode.TypeMismatch, "'pipeline' option must be specified as an array");
      const [first] = pipeline as Document[];
      const filter = first && isPlainObject(first.$match) ? first.$match : {};
      const rest = (pipeline as Document[]).slice(first && isPlainObject(first.$match) ? 1 : 0);
      const described = explainQuery(collection, {
        filter,
        sort: [],
        skip: 0,
        limit: 0,
        hint: inner.hint,
        collation: operationCollation(inner, collection),
      });
      return { ns, filter, ...described, pipeline: rest };
    }
    default:
      return fail(ErrorCode.IllegalOperation, `Explain for command '${name}' is not supported`);
  }
}

/**
 * `explain` (and `aggregate` with `explain: true`): the plan the engine's planner chose — IXSCAN
 * (with the index and its bounds) under FETCH, or COLLSCAN — with SORT, SKIP, LIMIT and
 * projection stages around it, and with `executionStats` (nReturned, totalKeysExamined,
 * totalDocsExamined) from actually running the query. Explaining a write changes nothing.
 */
export function explainCommand(
  inner: Document,
  db: string,
  ctx: CommandContext,
  verbosity: Verbosity,
): Document {
  if (!isPlainObject(inner))
    fail(ErrorCode.TypeMismatch, 'explain command requires a nested object');
  const { ns, filter, stage, work, returned, pipeline } = describe(inner, db, ctx);
  const planner = queryPlanner(ns, filter, stage);
  const stats =
    verbosity === 'queryPlanner'
      ? {}
      : { executionStats: executionStats(stage, work, returned, verbosity) };
  const serverInfo = {
    host: ctx.server.host,
    port: ctx.server.port,
    version: SERVER_VERSION,
    gitVersion: 'embedded',
  };
  const common = {
    command: { ...inner, $db: db },
    serverInfo,
    serverParameters: {
      internalQueryFacetBufferSizeBytes: 104857600,
      internalQueryMaxBlockingSortMemoryUsageBytes: 104857600,
    },
    ok: 1,
  };
  if (pipeline && pipeline.length > 0) {
    return {
      explainVersion: '1',
      stages: [
        { $cursor: { queryPlanner: planner, ...stats } },
        ...pipeline.map((spec) => ({ ...spec })),
      ],
      ...common,
    };
  }
  return { explainVersion: '1', queryPlanner: planner, ...stats, ...common };
}

const explain: CommandHandler = (command, db, ctx) =>
  explainCommand(
    documentOption(command, 'explain') ?? {},
    db,
    ctx,
    parseVerbosity(command.verbosity),
  );

/** The explain command. */
export const explainCommands: Record<string, CommandHandler> = { explain };
