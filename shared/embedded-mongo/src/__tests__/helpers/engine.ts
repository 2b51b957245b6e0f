import {
  MongoClient,
  type Collection,
  type Db,
  type Document,
  type MongoClientOptions,
  type MongoServerError,
  type ObjectId,
} from 'mongodb';
import { startEmbeddedMongo, type EmbeddedMongo, type EmbeddedMongoOptions } from '../../index';

/** Everything a test started, stopped in reverse order by {@link cleanup}. */
const cleanups: (() => Promise<unknown>)[] = [];

/** Registers a cleanup to run in afterAll/afterEach via {@link cleanup}. */
export function onCleanup(fn: () => Promise<unknown>): void {
  cleanups.push(fn);
}

/** Runs and clears every registered cleanup, newest first. */
export async function cleanup(): Promise<void> {
  while (cleanups.length) await cleanups.pop()?.();
}

/** Starts an engine on a free port; stopped by {@link cleanup}. */
export async function startEngine(options: EmbeddedMongoOptions = {}): Promise<EmbeddedMongo> {
  const server = await startEmbeddedMongo({ port: 0, ...options });
  onCleanup(() => server.stop());
  return server;
}

/** A connected driver client for `uri`; closed by {@link cleanup}. */
export async function connect(uri: string, options: MongoClientOptions = {}): Promise<MongoClient> {
  const client = await new MongoClient(uri, {
    serverSelectionTimeoutMS: 5000,
    ...options,
  }).connect();
  onCleanup(() => client.close());
  return client;
}

/** What {@link useEngineDatabase} hands a test file; read its fields inside tests or hooks. */
export interface EngineDatabase {
  readonly server: EmbeddedMongo;
  readonly client: MongoClient;
  /** The database named by `dbName`. */
  readonly db: Db;
  /** A collection no other test uses: `${collectionPrefix}1`, `${collectionPrefix}2`, ... in `db`. */
  fresh(): Collection<Doc>;
  /** A database no other test uses: `${dbName}1`, `${dbName}2`, ... */
  freshDb(): Db;
}

/**
 * One engine per test file: registers a beforeAll that starts it, connects a client and picks
 * `dbName`, and an afterAll that runs {@link cleanup}.
 */
export function useEngineDatabase(
  dbName: string,
  collectionPrefix = 'c',
  options: EmbeddedMongoOptions = {},
): EngineDatabase {
  let started: { server: EmbeddedMongo; client: MongoClient; db: Db } | undefined;
  let collections = 0;
  let databases = 0;

  beforeAll(async () => {
    const server = await startEngine(options);
    const client = await connect(server.uri);
    started = { server, client, db: client.db(dbName) };
  });
  afterAll(cleanup);

  const get = (): { server: EmbeddedMongo; client: MongoClient; db: Db } => {
    if (!started) throw new Error('the engine is not started yet (use it inside a test or hook)');
    return started;
  };

  return {
    get server() {
      return get().server;
    },
    get client() {
      return get().client;
    },
    get db() {
      return get().db;
    },
    fresh: () => {
      collections += 1;
      return get().db.collection<Doc>(`${collectionPrefix}${collections}`);
    },
    freshDb: () => {
      databases += 1;
      return get().client.db(`${dbName}${databases}`);
    },
  };
}

/** Test documents: any fields; `_id` a number, a string or an ObjectId (the driver's default is ObjectId only). */
export interface Doc extends Document {
  _id?: number | string | ObjectId;
}

/** The error a promise rejects with (fails the test if it resolves). */
export async function rejection<E = MongoServerError>(promise: Promise<unknown>): Promise<E> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(Error);
    return error as E;
  }
  throw new Error('expected the operation to fail');
}
