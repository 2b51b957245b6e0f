import { isPlainObject, type Document } from '../bson/values';
import { ErrorCode, fail, MongoServerError } from '../errors';
import { compileFilter, positionalIndex, type FilterOptions } from '../query/matcher';
import { parseSort } from '../query/planner';
import { compileProjection } from '../query/projection';
import {
  applyPipelineUpdate,
  applyReplacement,
  applyUpdate,
  isOperatorUpdate,
  upsertSeed,
  validateUpdate,
  type UpdateOutcome,
} from '../query/update';
import type { Catalog } from '../storage/catalog';
import type { Collection, StoredRecord } from '../storage/collection';
import { prepareDocument } from '../storage/document-rules';
import { enforceValidation } from '../validation/document-validator';
import {
  documentOption,
  letVariables,
  numberOption,
  operationCollation,
  targetCollection,
  type CommandContext,
  type CommandHandler,
} from './command-context';
import { failOnView } from './views';

/** mongod's maxWriteBatchSize: statements per insert/update/delete command. */
export const MAX_WRITE_BATCH_SIZE = 100_000;

type UpdateSpec = Document | Document[];

/** A statement's failure as a `writeErrors` entry; anything but a server error fails the command. */
function writeError(error: unknown, index: number): Document {
  if (!(error instanceof MongoServerError)) throw error;
  return { index, code: error.code, errmsg: error.message, ...error.extra };
}

function statements(command: Document, field: string): Document[] {
  const list = command[field];
  if (!Array.isArray(list))
    fail(ErrorCode.TypeMismatch, `BSON field '${field}' is missing but a required field`);
  if (list.length > MAX_WRITE_BATCH_SIZE) {
    fail(
      ErrorCode.InvalidLength,
      `Write batch sizes must be between 1 and ${MAX_WRITE_BATCH_SIZE}. Got ${list.length} operations.`,
    );
  }
  return list.map((statement, i) => {
    if (!isPlainObject(statement)) fail(ErrorCode.TypeMismatch, `${field}.${i} must be an object`);
    return statement;
  });
}

// The fields of an update and a delete statement in mongod 7.0 (its IDL refuses any other:
// `sort` in an update statement is new in 8.0).
const UPDATE_STATEMENT_FIELDS = new Set([
  'q',
  'u',
  'c',
  'arrayFilters',
  'multi',
  'upsert',
  'upsertSupplied',
  'collation',
  'hint',
  'sampleId',
  'allowShardKeyUpdatesWithoutFullShardKeyInQuery',
]);
const DELETE_STATEMENT_FIELDS = new Set(['q', 'limit', 'collation', 'hint', 'sampleId']);

// mongod's code for an unknown field (IDL parsing).
const UNKNOWN_FIELD = 40415;

/** Refuses a statement field mongod 7.0 does not know, failing the whole command as mongod does. */
function checkStatementFields(command: string, statements: Document[], known: Set<string>): void {
  const field = command === 'update' ? 'updates' : 'deletes';
  for (const statement of statements) {
    const unknown = Object.keys(statement).find((key) => !known.has(key));
    if (unknown !== undefined) {
      fail(UNKNOWN_FIELD, `BSON field '${command}.${field}.${unknown}' is an unknown field.`);
    }
  }
}

function reply(n: number, errors: Document[], extra: Document = {}): Document {
  return { n, ...extra, ...(errors.length ? { writeErrors: errors } : {}), ok: 1 };
}

/**
 * Writes through the catalog after the collection's validator accepted the new document (see
 * {@link enforceValidation}); one per command, since `bypassDocumentValidation` is per command.
 */
class ValidatedWrites {
  constructor(
    private readonly catalog: Catalog,
    private readonly collection: Collection,
    private readonly bypass: boolean,
    private readonly ctx: CommandContext,
  ) {}

  private check(doc: Document, previous: StoredRecord | undefined): void {
    enforceValidation(this.collection.validator, doc, previous?.doc, {
      ns: this.collection.ns,
      bypass: this.bypass,
      warnings: this.ctx.logger,
    });
  }

  insert(doc: Document): StoredRecord {
    const prepared = prepareDocument(doc);
    this.check(prepared.doc, undefined);
    return this.catalog.insert(this.collection, doc, prepared);
  }

  replace(record: StoredRecord, doc: Document): StoredRecord {
    this.check(doc, record);
    return this.catalog.replace(this.collection, record, doc);
  }
}

function writesFor(
  ctx: CommandContext,
  collection: Collection,
  command: Document,
): ValidatedWrites {
  if (collection.isView) failOnView(collection.db, collection.name);
  return new ValidatedWrites(
    ctx.catalog,
    collection,
    command.bypassDocumentValidation === true,
    ctx,
  );
}

const insert: CommandHandler = (command, db, ctx) => {
  const name = targetCollection(command, 'insert');
  const documents = statements(command, 'documents');
  const ordered = command.ordered !== false;
  const collection = ctx.catalog.ensureCollection(db, name);
  const writes = writesFor(ctx, collection, command);
  const errors: Document[] = [];
  let n = 0;
  for (const [index, doc] of documents.entries()) {
    try {
      writes.insert(doc);
      n++;
    } catch (error) {
      errors.push(writeError(error, index));
      if (ordered) break;
    }
  }
  return reply(n, errors);
};

function arrayFiltersOf(statement: Document): Document[] | undefined {
  const filters = statement.arrayFilters;
  if (filters === undefined || filters === null) return undefined;
  if (!Array.isArray(filters) || !filters.every(isPlainObject)) {
    fail(ErrorCode.TypeMismatch, 'arrayFilters must be an array of objects');
  }
  return filters;
}

/** The new document for an existing record under an update of any style. */
function updatedDocument(
  record: StoredRecord,
  update: UpdateSpec,
  filter: Document,
  arrayFilters?: Document[],
  variables?: Document,
): UpdateOutcome {
  if (Array.isArray(update)) return applyPipelineUpdate(record.doc, update, { variables });
  if (isOperatorUpdate(update)) {
    return applyUpdate(record.doc, update, {
      arrayFilters,
      positionalIndex: positionalIndex(filter, record.view),
    });
  }
  return applyReplacement(record.doc, update);
}

/** The document an upsert inserts when nothing matched. */
function upsertDocument(
  filter: Document,
  update: UpdateSpec,
  arrayFilters?: Document[],
  variables?: Document,
): Document {
  const seed = upsertSeed(filter);
  if (Array.isArray(update))
    return applyPipelineUpdate(seed, update, { isUpsertInsert: true, variables }).document;
  if (isOperatorUpdate(update))
    return applyUpdate(seed, update, { arrayFilters, isUpsertInsert: true }).document;
  return applyReplacement(seed._id !== undefined ? { _id: seed._id } : {}, update).document;
}

function updateSpecOf(value: unknown): UpdateSpec {
  if (Array.isArray(value)) {
    if (!value.every(isPlainObject))
      fail(ErrorCode.FailedToParse, 'pipeline update stages must be objects');
    return value;
  }
  if (!isPlainObject(value))
    fail(ErrorCode.FailedToParse, 'Update argument must be either an object or an array');
  return value;
}

interface UpdateResult {
  matched: number;
  modified: number;
  upsertedId?: unknown;
}

function runUpdate(
  writes: ValidatedWrites,
  collection: Collection,
  statement: Document,
  variables: Document | undefined,
): UpdateResult {
  const filter = documentOption(statement, 'q') ?? {};
  const update = updateSpecOf(statement.u);
  const multi = statement.multi === true;
  const arrayFilters = arrayFiltersOf(statement);
  const collation = operationCollation(statement, collection);
  if (!Array.isArray(update) && isOperatorUpdate(update)) validateUpdate(update, { arrayFilters });
  else if (multi && !Array.isArray(update)) {
    fail(ErrorCode.FailedToParse, 'multi update is not supported for replacement-style update');
  }
  const matcher = compileFilter(filter, { collation, variables });
  const records = collection.query(matcher, { limit: multi ? 0 : 1, hint: statement.hint });
  if (records.length === 0) {
    if (statement.upsert !== true) return { matched: 0, modified: 0 };
    const doc = upsertDocument(filter, update, arrayFilters, variables);
    const inserted = writes.insert(doc);
    return { matched: 0, modified: 0, upsertedId: inserted.doc._id };
  }
  let modified = 0;
  for (const record of records) {
    const outcome = updatedDocument(record, update, filter, arrayFilters, variables);
    if (!outcome.modified) continue;
    writes.replace(record, outcome.document);
    modified++;
  }
  return { matched: records.length, modified };
}

const update: CommandHandler = (command, db, ctx) => {
  const name = targetCollection(command, 'update');
  const updates = statements(command, 'updates');
  checkStatementFields('update', updates, UPDATE_STATEMENT_FIELDS);
  const variables = letVariables(command);
  const ordered = command.ordered !== false;
  const collection = ctx.catalog.ensureCollection(db, name);
  const writes = writesFor(ctx, collection, command);
  const errors: Document[] = [];
  const upserted: Document[] = [];
  let n = 0;
  let nModified = 0;
  for (const [index, statement] of updates.entries()) {
    try {
      const result = runUpdate(writes, collection, statement, variables);
      n += result.matched;
      nModified += result.modified;
      if (result.upsertedId !== undefined) {
        n++;
        upserted.push({ index, _id: result.upsertedId });
      }
    } catch (error) {
      errors.push(writeError(error, index));
      if (ordered) break;
    }
  }
  return reply(n, errors, { nModified, ...(upserted.length ? { upserted } : {}) });
};

const deleteCommand: CommandHandler = (command, db, { catalog }) => {
  const name = targetCollection(command, 'delete');
  const deletes = statements(command, 'deletes');
  checkStatementFields('delete', deletes, DELETE_STATEMENT_FIELDS);
  const variables = letVariables(command);
  const ordered = command.ordered !== false;
  const collection = catalog.getCollection(db, name);
  if (collection?.isView) failOnView(db, name);
  const errors: Document[] = [];
  let n = 0;
  for (const [index, statement] of deletes.entries()) {
    try {
      const limit = numberOption(statement, 'limit') ?? 0;
      if (limit !== 0 && limit !== 1)
        fail(
          ErrorCode.FailedToParse,
          'The limit field in delete objects must be 0 or 1. Got ' + limit,
        );
      const matcher = compileFilter(documentOption(statement, 'q') ?? {}, {
        collation: operationCollation(statement, collection),
        variables,
      });
      if (!collection) continue;
      for (const record of collection.query(matcher, { limit, hint: statement.hint })) {
        catalog.remove(collection, record);
        n++;
      }
    } catch (error) {
      errors.push(writeError(error, index));
      if (ordered) break;
    }
  }
  return reply(n, errors);
};

const findAndModify: CommandHandler = (command, db, ctx) => {
  const { catalog } = ctx;
  const name = targetCollection(
    command,
    command.findAndModify !== undefined ? 'findAndModify' : 'findandmodify',
  );
  const filter = documentOption(command, 'query') ?? {};
  const variables = letVariables(command);
  const remove = command.remove === true;
  const upsert = command.upsert === true;
  const returnNew = command.new === true;
  const hasUpdate = command.update !== undefined && command.update !== null;
  if (remove && hasUpdate)
    fail(ErrorCode.FailedToParse, 'Cannot specify both an update and remove=true');
  if (remove && upsert)
    fail(ErrorCode.FailedToParse, 'Cannot specify both upsert=true and remove=true');
  if (!remove && !hasUpdate)
    fail(ErrorCode.FailedToParse, 'Either an update or remove=true must be specified');
  if (remove && returnNew)
    fail(
      ErrorCode.FailedToParse,
      "Cannot specify both new=true and remove=true; 'remove' always returns the deleted document",
    );
  const arrayFilters = arrayFiltersOf(command);
  const updateSpec = hasUpdate ? updateSpecOf(command.update) : undefined;
  if (updateSpec && !Array.isArray(updateSpec) && isOperatorUpdate(updateSpec))
    validateUpdate(updateSpec, { arrayFilters });
  const projector = compileProjection(command.fields);
  const project = (record: StoredRecord | null): Document | null =>
    record
      ? projector
        ? projector(record.doc, record.view, positionalIndex(filter, record.view))
        : record.doc
      : null;

  const collection = remove ? catalog.getCollection(db, name) : catalog.ensureCollection(db, name);
  if (collection?.isView) failOnView(db, name);
  const filterOptions: FilterOptions = {
    collation: operationCollation(command, collection),
    variables,
  };
  const [record] = collection
    ? collection.query(compileFilter(filter, filterOptions), {
        sort: parseSort(command.sort),
        limit: 1,
        hint: command.hint,
      })
    : [];
  if (remove) {
    if (record && collection) catalog.remove(collection, record);
    return { lastErrorObject: { n: record ? 1 : 0 }, value: project(record ?? null), ok: 1 };
  }
  const target = collection as Collection;
  const writes = writesFor(ctx, target, command);
  const spec = updateSpec as UpdateSpec;
  if (record) {
    const outcome = updatedDocument(record, spec, filter, arrayFilters, variables);
    const after = outcome.modified ? writes.replace(record, outcome.document) : record;
    return {
      lastErrorObject: { n: 1, updatedExisting: true },
      value: project(returnNew ? after : record),
      ok: 1,
    };
  }
  if (!upsert) return { lastErrorObject: { n: 0, updatedExisting: false }, value: null, ok: 1 };
  const doc = upsertDocument(filter, spec, arrayFilters, variables);
  const inserted = writes.insert(doc);
  return {
    lastErrorObject: { n: 1, updatedExisting: false, upserted: inserted.doc._id },
    value: returnNew ? project(inserted) : null,
    ok: 1,
  };
};

/** Write commands: insert, update, delete, findAndModify. */
export const writeCommands: Record<string, CommandHandler> = {
  insert,
  update,
  delete: deleteCommand,
  findAndModify,
  findandmodify: findAndModify,
};
