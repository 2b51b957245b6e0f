/**
 * Runs one test of a unified-format file ("Executing a Test"): initial data through the
 * internal client, the entities, each operation with its expected result or error, then the
 * expected command events and the expected collection contents.
 */
import {
  MongoBulkWriteError,
  MongoClientBulkWriteError,
  MongoError,
  MongoServerError,
  type Document,
  type MongoClient,
} from 'mongodb';
import { EntityMap, type ObservedEvent } from './entities';
import { assertDocumentsMatch, assertMatches, assertSameDocuments, MatchError } from './match';
import {
  bulkWriteResultDocument,
  clientBulkWriteResultDocument,
  collectionContents,
  runEntityOperation,
  type OperationResult,
  type OperationSpec,
} from './operations';

/** What every test of a file shares: the engine's URI and the runner's own (internal) client. */
export interface RunnerContext {
  uri: string;
  internal: MongoClient;
}

/** Drops and recreates the collections of `initialData`, then inserts their documents. */
async function loadInitialData(internal: MongoClient, initialData: Document[]): Promise<void> {
  for (const { databaseName, collectionName, createOptions, documents } of initialData) {
    const db = internal.db(databaseName);
    await db
      .dropCollection(collectionName, { writeConcern: { w: 'majority' } })
      .catch((error: unknown) => {
        if (!(error instanceof MongoServerError) || error.code !== 26) throw error;
      });
    if (createOptions || documents.length === 0) {
      await db.createCollection(collectionName, {
        ...createOptions,
        writeConcern: { w: 'majority' },
      });
    }
    if (documents.length > 0) {
      await db
        .collection(collectionName)
        .insertMany(documents, { writeConcern: { w: 'majority' } });
    }
  }
}

/** Every server error a (bulk) write error carries: itself and its write (concern) errors. */
function serverErrorsOf(error: MongoServerError): Document[] {
  const errors: Document[] = [error as unknown as Document];
  if (error instanceof MongoBulkWriteError) {
    errors.push(
      ...[error.writeErrors].flat().map((writeError) => writeError as unknown as Document),
    );
  }
  if (error instanceof MongoClientBulkWriteError) {
    errors.push(
      ...[...error.writeErrors.values()].map((writeError) => writeError as unknown as Document),
    );
    errors.push(...error.writeConcernErrors);
  }
  return errors;
}

const messageOf = (error: Document): string => String(error.errmsg ?? error.message ?? '');

/** Asserts that `error` is the one an `expectError` describes. */
function checkError(expected: Document, error: unknown, entities: EntityMap): void {
  if (!(error instanceof Error))
    throw new MatchError(`expected an error, the operation threw ${String(error)}`);
  const isServer = error instanceof MongoServerError;
  const fail = (what: string): never => {
    throw new MatchError(`${what}; the error was ${error.name}: ${error.message}`);
  };
  if (expected.isClientError === true && isServer) fail('expected a client error');
  if (expected.isClientError === false && !isServer) fail('expected a server error');
  if (expected.isTimeoutError === true) fail('the runner does not run timeout tests');
  const serverErrors = isServer ? serverErrorsOf(error) : [];
  if (typeof expected.errorContains === 'string') {
    const wanted = expected.errorContains.toLowerCase();
    const messages = [error.message, ...serverErrors.map(messageOf)];
    if (!messages.some((message) => message.toLowerCase().includes(wanted))) {
      fail(`expected an error message containing "${expected.errorContains}"`);
    }
  }
  if (expected.errorCode !== undefined) {
    if (!serverErrors.some((serverError) => serverError.code === expected.errorCode)) {
      fail(`expected error code ${expected.errorCode}`);
    }
  }
  if (typeof expected.errorCodeName === 'string') {
    const wanted = expected.errorCodeName.toLowerCase();
    if (
      !serverErrors.some(
        (serverError) => String(serverError.codeName ?? '').toLowerCase() === wanted,
      )
    ) {
      fail(`expected error code name ${expected.errorCodeName}`);
    }
  }
  for (const label of (expected.errorLabelsContain as string[] | undefined) ?? []) {
    if (!(error instanceof MongoError) || !error.hasErrorLabel(label))
      fail(`expected the error label ${label}`);
  }
  for (const label of (expected.errorLabelsOmit as string[] | undefined) ?? []) {
    if (error instanceof MongoError && error.hasErrorLabel(label))
      fail(`expected no error label ${label}`);
  }
  if (expected.errorResponse !== undefined) {
    if (!isServer) fail('expected a server response');
    assertMatches(expected.errorResponse, (error as MongoServerError).errorResponse, {
      root: true,
      path: 'errorResponse',
      entities,
    });
  }
  if (expected.expectResult !== undefined) {
    let partial: Document | undefined;
    if (error instanceof MongoBulkWriteError) partial = bulkWriteResultDocument(error.result);
    else if (error instanceof MongoClientBulkWriteError && error.partialResult) {
      partial = clientBulkWriteResultDocument(error.partialResult);
    }
    assertMatches(expected.expectResult, partial, {
      root: true,
      path: 'error.expectResult',
      entities,
    });
  }
  if (expected.writeErrors !== undefined) {
    if (!(error instanceof MongoClientBulkWriteError)) fail('expected a client bulk write error');
    const actual = Object.fromEntries(
      [...(error as MongoClientBulkWriteError).writeErrors.entries()].map(([index, writeError]) => [
        String(index),
        writeError,
      ]),
    );
    assertMatches(expected.writeErrors, actual, { root: false, path: 'writeErrors', entities });
  }
  if (expected.writeConcernErrors !== undefined) {
    if (!(error instanceof MongoClientBulkWriteError)) fail('expected a client bulk write error');
    const actual = (error as MongoClientBulkWriteError).writeConcernErrors;
    assertDocumentsMatch(expected.writeConcernErrors, actual, {
      path: 'writeConcernErrors',
      entities,
    });
  }
}

/** The test runner's own operations (`object: testRunner`). */
async function runSpecialOperation(
  operation: OperationSpec,
  entities: EntityMap,
  ctx: RunnerContext,
  failPoints: Set<string>,
): Promise<void> {
  const args = operation.arguments ?? {};
  const names = async (): Promise<string[]> =>
    (
      await ctx.internal.db(args.databaseName).listCollections({}, { nameOnly: true }).toArray()
    ).map(({ name }) => name);
  const indexNames = async (): Promise<string[]> =>
    (
      await ctx.internal
        .db(args.databaseName)
        .collection(args.collectionName)
        .listIndexes()
        .toArray()
    ).map(({ name }) => name as string);
  switch (operation.name) {
    case 'failPoint': {
      const { client } = entities.client(args.client);
      const command = args.failPoint as Document;
      await client.db('admin').command(command);
      failPoints.add(command.configureFailPoint);
      return;
    }
    case 'assertCollectionExists':
      if (!(await names()).includes(args.collectionName)) {
        throw new MatchError(
          `collection ${args.databaseName}.${args.collectionName} does not exist`,
        );
      }
      return;
    case 'assertCollectionNotExists':
      if ((await names()).includes(args.collectionName)) {
        throw new MatchError(`collection ${args.databaseName}.${args.collectionName} exists`);
      }
      return;
    case 'assertIndexExists':
      if (!(await indexNames()).includes(args.indexName))
        throw new MatchError(`index ${args.indexName} does not exist`);
      return;
    case 'assertIndexNotExists': {
      const existing = await indexNames().catch((error: unknown) => {
        if (error instanceof MongoServerError && error.code === 26) return [] as string[];
        throw error;
      });
      if (existing.includes(args.indexName)) throw new MatchError(`index ${args.indexName} exists`);
      return;
    }
    case 'createEntities':
      await entities.create(args.entities as Document[]);
      return;
    default:
      throw new Error(`the runner does not implement the testRunner operation '${operation.name}'`);
  }
}

/** Runs one operation and checks its result or error ("Executing an Operation"). */
async function runOperation(
  operation: OperationSpec,
  entities: EntityMap,
  ctx: RunnerContext,
  failPoints: Set<string>,
  index: number,
): Promise<void> {
  if (operation.object === 'testRunner') {
    await runSpecialOperation(operation, entities, ctx, failPoints);
    return;
  }
  let result: OperationResult | undefined;
  let error: unknown;
  try {
    result = await runEntityOperation(entities, operation);
  } catch (thrown) {
    error = thrown;
  }
  const where = `operation ${index} (${operation.name})`;
  if (operation.ignoreResultAndError) return;
  if (operation.expectError) {
    if (!error)
      throw new MatchError(
        `${where}: expected an error, it returned ${JSON.stringify(result?.value)}`,
      );
    try {
      checkError(operation.expectError, error, entities);
    } catch (mismatch) {
      if (mismatch instanceof MatchError) throw new MatchError(`${where}: ${mismatch.message}`);
      throw mismatch;
    }
    return;
  }
  if (error) {
    if (error instanceof Error) error.message = `${where} failed: ${error.message}`;
    throw error;
  }
  const value = result?.value;
  if (operation.expectResult !== undefined) {
    const path = `${where} result`;
    if (result?.documents && Array.isArray(value)) {
      assertDocumentsMatch(operation.expectResult, value, { path, entities });
    } else {
      assertMatches(operation.expectResult, value, { root: true, path, entities });
    }
  }
  if (operation.saveResultAsEntity) entities.saveValue(operation.saveResultAsEntity, value);
}

const EVENT_FIELDS = new Set([
  'command',
  'reply',
  'commandName',
  'databaseName',
  'hasServiceId',
  'hasServerConnectionId',
]);

/** Asserts a client's observed command events against `expectEvents` ("expectedEventsForClient"). */
function checkEvents(expectation: Document, observed: ObservedEvent[], entities: EntityMap): void {
  const eventType = expectation.eventType ?? 'command';
  if (eventType !== 'command') throw new Error(`the runner does not observe ${eventType} events`);
  const expected = expectation.events as Document[];
  const describeObserved = (): string =>
    observed.map((event) => `${event.type}(${event.commandName})`).join(', ') || 'none';
  const lengthOk = expectation.ignoreExtraEvents
    ? observed.length >= expected.length
    : observed.length === expected.length;
  if (!lengthOk) {
    throw new MatchError(
      `client ${expectation.client}: expected ${expected.length} command event(s), observed ${observed.length}: ${describeObserved()}`,
    );
  }
  expected.forEach((event, i) => {
    const [type, assertions] = Object.entries(event)[0] as [string, Document];
    const actual = observed[i] as ObservedEvent;
    const path = `client ${expectation.client} event ${i}`;
    if (actual.type !== type) {
      throw new MatchError(
        `${path}: expected ${type}, observed ${actual.type} (${actual.commandName})`,
      );
    }
    for (const field of Object.keys(assertions)) {
      if (!EVENT_FIELDS.has(field))
        throw new Error(`${path}: the runner does not check '${field}'`);
    }
    if (assertions.commandName !== undefined && assertions.commandName !== actual.commandName) {
      throw new MatchError(
        `${path}: expected command ${assertions.commandName}, observed ${actual.commandName}`,
      );
    }
    if (assertions.databaseName !== undefined && assertions.databaseName !== actual.databaseName) {
      throw new MatchError(
        `${path}: expected database ${assertions.databaseName}, observed ${actual.databaseName}`,
      );
    }
    if (assertions.command !== undefined) {
      assertMatches(assertions.command, actual.command, {
        root: true,
        path: `${path} command`,
        entities,
      });
    }
    if (assertions.reply !== undefined) {
      assertMatches(assertions.reply, actual.reply, {
        root: true,
        path: `${path} reply`,
        entities,
      });
    }
  });
}

/** Runs one test of a file; throws (a {@link MatchError} or what the driver threw) when it fails. */
export async function runUnifiedTest(
  file: Document,
  test: Document,
  ctx: RunnerContext,
): Promise<void> {
  await loadInitialData(ctx.internal, (file.initialData as Document[] | undefined) ?? []);
  const entities = new EntityMap(ctx.uri);
  const failPoints = new Set<string>();
  try {
    await entities.create((file.createEntities as Document[] | undefined) ?? []);
    const operations = test.operations as OperationSpec[];
    for (const [index, operation] of operations.entries()) {
      await runOperation(operation, entities, ctx, failPoints, index);
    }
    // Events after the last operation (a session's endSessions on close) are not the test's.
    const observed = new Map(entities.clients().map((entity) => [entity, [...entity.events]]));
    for (const expectation of (test.expectEvents as Document[] | undefined) ?? []) {
      const client = entities.client(expectation.client);
      checkEvents(expectation, observed.get(client) ?? [], entities);
    }
    for (const { databaseName, collectionName, documents } of (test.outcome as
      Document[] | undefined) ?? []) {
      const actual = await collectionContents(ctx.internal, databaseName, collectionName);
      assertSameDocuments(documents, actual, `outcome ${databaseName}.${collectionName}`);
    }
  } finally {
    for (const name of failPoints) {
      await ctx.internal.db('admin').command({ configureFailPoint: name, mode: 'off' });
    }
    await entities.close();
  }
}
