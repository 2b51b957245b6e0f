import {
  MongoClient,
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
