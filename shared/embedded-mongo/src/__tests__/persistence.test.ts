import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import {
  Binary,
  BSON,
  BSONRegExp,
  Code,
  Decimal128,
  Double,
  Int32,
  Long,
  MaxKey,
  MinKey,
  ObjectId,
  Timestamp,
  UUID,
  type Document,
  type MongoClient,
} from 'mongodb';
import {
  startEmbeddedMongo,
  type EmbeddedMongo,
  type EmbeddedMongoOptions,
  type EngineLogger,
} from '../index';
import { cleanup, connect, onCleanup, rejection, startEngine } from './helpers/engine';

/** Durability with `dbPath`: restarts, compaction, a killed process, concurrency and the lock. */

afterEach(cleanup);

/** Documents with any `_id` (the driver's default type assumes ObjectId). */
interface Loose {
  _id?: number | string | ObjectId;
  [field: string]: unknown;
}

const REPO_ROOT = resolve(__dirname, '../../../..');
const ENGINE_ENTRY = join(REPO_ROOT, 'shared/embedded-mongo/src/index.ts');

/** A fresh data directory, removed after the test (after every engine started later stopped). */
async function dataDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'embedded-mongo-persistence-'));
  onCleanup(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

interface LogEntry {
  level: 'debug' | 'info' | 'warn' | 'error';
  obj: object;
  msg: string | undefined;
}

/** A logger that keeps what the engine reports, for assertions. */
function recordingLogger(): { logger: EngineLogger; entries: LogEntry[] } {
  const entries: LogEntry[] = [];
  const at =
    (level: LogEntry['level']) =>
    (obj: object, msg?: string): void => {
      entries.push({ level, obj, msg });
    };
  return {
    logger: { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') },
    entries,
  };
}

function problems(entries: LogEntry[]): string[] {
  return entries
    .filter((entry) => entry.level === 'error')
    .map((entry) => `${entry.msg ?? ''} ${JSON.stringify(entry.obj)}`);
}

/**
 * Everything a client can observe about the stored data: databases, collections (options and
 * uuid), index specs, and every document as its exact BSON bytes in natural order.
 */
async function dumpState(client: MongoClient): Promise<Document> {
  const { databases } = await client.db('admin').admin().listDatabases({ nameOnly: true });
  const state: Document = {};
  for (const name of databases.map((db) => db.name).sort()) {
    const db = client.db(name);
    const collections = await db.listCollections().toArray();
    for (const info of collections.sort((a, b) => a.name.localeCompare(b.name))) {
      const collection = db.collection(info.name);
      const docs = (await collection.find({}, { raw: true }).toArray()) as unknown as Buffer[];
      state[`${name}.${info.name}`] = {
        info,
        indexes: await collection.listIndexes().toArray(),
        docs: docs.map((bytes) => Buffer.from(bytes).toString('hex')),
      };
    }
  }
  return state;
}

interface Person {
  _id: number | string;
  email: string;
  age?: Int32 | number;
  score?: Double | number;
  visits?: Long;
  address?: { city: string | undefined; zip: string };
  tags?: string[];
  nick?: string;
  kind?: string;
  balance?: Decimal128;
  touchedAt?: Date;
  senior?: boolean;
  createdAt?: Date;
}

interface Item {
  _id: number;
  sku: string;
  qty: Int32 | number;
  price?: Decimal128;
  note?: string;
}

/** One document holding every BSON type the services could store. */
function everyType(): Document {
  return {
    _id: new ObjectId('65f0c0ffee00000000000001'),
    int32: 42,
    int32Boxed: new Int32(-7),
    doubleFraction: 3.25,
    doubleIntegral: new Double(5),
    doubleNegZero: new Double(-0),
    long: Long.fromString('9007199254740993'),
    decimal: Decimal128.fromString('1234567890.123456789012345'),
    string: 'grüße, 世界 🚀',
    empty: '',
    bool: true,
    nil: null,
    date: new Date('2026-11-24T12:34:56.789Z'),
    objectId: new ObjectId('65f0c0ffee0000000000abcd'),
    binary: new Binary(Buffer.from([0, 1, 2, 254, 255])),
    uuid: new UUID('0d4e6c6a-9a56-4c3e-8b8b-1f0e2d3c4b5a'),
    regex: new BSONRegExp('^ab+c$', 'im'),
    code: new Code('function () { return 1; }'),
    timestamp: new Timestamp({ t: 1_700_000_000, i: 7 }),
    minKey: new MinKey(),
    maxKey: new MaxKey(),
    nested: { a: { b: { c: [1, 'two', { three: new Double(3) }] } } },
    array: [new Int32(1), new Double(2), Long.fromNumber(3), Decimal128.fromString('4.0')],
  };
}

/** Writes data of every kind into `client`'s server; returns nothing, {@link dumpState} reads it. */
async function writeEverything(client: MongoClient): Promise<void> {
  const app = client.db('app');

  const types = app.collection<Loose>('types');
  await types.insertOne(everyType());

  const people = app.collection<Person>('people');
  await people.createIndex({ email: 1 }, { unique: true });
  await people.createIndex({ 'address.city': 1, age: -1 }, { name: 'city_age' });
  await people.createIndex({ nick: 1 }, { unique: true, sparse: true });
  await people.createIndex(
    { score: 1 },
    { name: 'high_scores', partialFilterExpression: { score: { $gt: 10 } } },
  );
  await people.createIndex({ seenAt: 1 }, { expireAfterSeconds: 3600 * 24 * 365 * 100 });
  await people.createIndex({ scratch: 1 }, { name: 'scratch_idx' });
  await people.dropIndex('scratch_idx');
  await people.insertMany(
    Array.from({ length: 50 }, (_, i) => ({
      _id: i,
      email: `user${i}@example.com`,
      age: new Int32(20 + (i % 40)),
      score: i % 3 === 0 ? new Double(i) : i + 0.5,
      visits: Long.fromNumber(i * 1000),
      address: { city: ['Paris', 'Berlin', 'Rome'][i % 3], zip: String(10000 + i) },
      tags: ['a', 'b'].slice(0, i % 3),
      ...(i % 5 === 0 ? { nick: `nick${i}` } : {}),
      kind: i % 10 === 9 ? 'temp' : 'regular',
    })),
  );
  await people.updateOne(
    { _id: 1 },
    {
      $set: { 'address.city': 'Lisbon', balance: Decimal128.fromString('10.50') },
      $inc: { visits: Long.fromNumber(1), age: 1 },
      $unset: { tags: '' },
      $currentDate: { touchedAt: true },
    },
  );
  await people.updateOne({ _id: 2 }, { $push: { tags: { $each: ['x', 'y'] } } });
  await people.replaceOne({ _id: 4 }, { email: 'replaced@example.com', age: new Int32(99) });
  await people.updateMany({ age: { $gte: 50 } }, { $set: { senior: true } });
  await people.findOneAndUpdate(
    { _id: 'upserted' },
    { $set: { email: 'upsert@example.com' }, $setOnInsert: { createdAt: new Date(0) } },
    { upsert: true },
  );
  await people.deleteOne({ _id: 3 });
  await people.deleteMany({ kind: 'temp' });
  await people.updateOne({ _id: 6 }, { $set: { email: 'six@example.com' } });

  // A collection created with options, written and dropped, then created again.
  await app.createCollection('events', { comment: 'created explicitly' } as Document);
  await app.collection<Loose>('events').insertMany([{ _id: 1, v: 'old' }]);
  await app.collection<Loose>('events').createIndex({ v: 1 });
  await app.collection<Loose>('events').drop();
  await app.collection<Loose>('events').insertOne({ _id: 2, v: 'new' });

  // Dropped for good.
  await app.collection<Loose>('trash').insertMany([{ a: 1 }, { a: 2 }]);
  await app.collection<Loose>('trash').createIndex({ a: 1 }, { unique: true });
  await app.collection<Loose>('trash').drop();

  // Renamed within the database (indexes follow), and across databases.
  await app.collection<Loose>('drafts').insertMany([{ _id: 'd1', title: 'one' }, { _id: 'd2' }]);
  await app.collection<Loose>('drafts').createIndex({ title: 1 }, { unique: true, sparse: true });
  await app.collection<Loose>('drafts').updateOne({ _id: 'd2' }, { $set: { title: 'two' } });
  await app.renameCollection('drafts', 'published');
  await app.collection<Loose>('published').insertOne({ _id: 'd3', title: 'three' });
  await app.collection<Loose>('archive').insertOne({ _id: 'a1', year: 2025 });
  await app.collection<Loose>('archive').createIndex({ year: -1 });
  await client.db('admin').command({ renameCollection: 'app.archive', to: 'history.archive' });

  // A rename over an existing target with dropTarget.
  await app.collection<Loose>('target').insertOne({ _id: 'replaced-away' });
  await app.collection<Loose>('source').insertOne({ _id: 'moved' });
  await client
    .db('admin')
    .command({ renameCollection: 'app.source', to: 'app.target', dropTarget: true });

  // A whole database dropped, and another dropped then written again.
  await client
    .db('scratch')
    .collection<Loose>('x')
    .insertMany([{ a: 1 }, { a: 2 }]);
  await client.db('scratch').collection<Loose>('y').createIndex({ b: 1 });
  await client.db('scratch').dropDatabase();
  await client.db('reborn').collection<Loose>('old').insertOne({ gone: true });
  await client.db('reborn').dropDatabase();
  await client.db('reborn').collection<Loose>('fresh').insertOne({ _id: 1, here: true });
}

/** What {@link writeEverything} leaves, checked field by field (independently of the dump). */
async function expectEverything(client: MongoClient, otherDatabases: string[] = []): Promise<void> {
  const { databases } = await client.db('admin').admin().listDatabases({ nameOnly: true });
  expect(databases.map((db) => db.name).sort()).toEqual(
    ['app', 'history', 'reborn', ...otherDatabases].sort(),
  );
  const app = client.db('app');
  expect(
    (await app.listCollections({}, { nameOnly: true }).toArray()).map((c) => c.name).sort(),
  ).toEqual(['events', 'people', 'published', 'target', 'types']);
  expect(await client.db('history').collection<Loose>('archive').find().toArray()).toEqual([
    { _id: 'a1', year: 2025 },
  ]);
  expect(await client.db('reborn').collection<Loose>('fresh').find().toArray()).toEqual([
    { _id: 1, here: true },
  ]);
  expect(await app.collection<Loose>('events').find().toArray()).toEqual([{ _id: 2, v: 'new' }]);
  expect(
    (await app.collection<Loose>('events').listIndexes().toArray()).map((i) => i.name),
  ).toEqual(['_id_']);
  expect(await app.collection<Loose>('target').find().toArray()).toEqual([{ _id: 'moved' }]);
  expect(await app.collection<Loose>('published').find().sort({ _id: 1 }).toArray()).toEqual([
    { _id: 'd1', title: 'one' },
    { _id: 'd2', title: 'two' },
    { _id: 'd3', title: 'three' },
  ]);

  // Every BSON type comes back as the same type.
  const exact = await app
    .collection<Loose>('types')
    .findOne({}, { promoteValues: false, promoteLongs: false, bsonRegExp: true });
  const kinds = Object.fromEntries(
    Object.entries(exact ?? {}).map(([key, value]) => [
      key,
      (value as { _bsontype?: string } | null)?._bsontype ?? typeof value,
    ]),
  );
  expect(kinds).toEqual({
    _id: 'ObjectId',
    int32: 'Int32',
    int32Boxed: 'Int32',
    doubleFraction: 'Double',
    doubleIntegral: 'Double',
    doubleNegZero: 'Double',
    long: 'Long',
    decimal: 'Decimal128',
    string: 'string',
    empty: 'string',
    bool: 'boolean',
    nil: 'object',
    date: 'object',
    objectId: 'ObjectId',
    binary: 'Binary',
    uuid: 'Binary',
    regex: 'BSONRegExp',
    code: 'Code',
    timestamp: 'Timestamp',
    minKey: 'MinKey',
    maxKey: 'MaxKey',
    nested: 'object',
    array: 'object',
  });
  const [raw] = (await app
    .collection<Loose>('types')
    .find({}, { raw: true })
    .toArray()) as unknown[];
  expect(Buffer.from(raw as Uint8Array).equals(Buffer.from(BSON.serialize(everyType())))).toBe(
    true,
  );
  expect(Object.is((exact?.doubleNegZero as Double).value, -0)).toBe(true);
  expect(String(exact?.long)).toBe('9007199254740993');

  const people = app.collection<Loose>('people');
  expect(await people.countDocuments()).toBe(45);
  expect(await people.findOne({ _id: 3 })).toBeNull();
  expect(await people.countDocuments({ kind: 'temp' })).toBe(0);
  const one = await people.findOne({ _id: 1 }, { promoteValues: false, promoteLongs: false });
  expect(one?.address).toEqual({ city: 'Lisbon', zip: '10001' });
  expect(String(one?.visits)).toBe('1001');
  expect((one?.visits as { _bsontype: string })._bsontype).toBe('Long');
  expect((one?.age as { _bsontype: string })._bsontype).toBe('Int32');
  expect(String(one?.balance)).toBe('10.50');
  expect(one?.touchedAt).toBeInstanceOf(Date);
  expect(one && 'tags' in one).toBe(false);
  expect((await people.findOne({ _id: 2 }))?.tags).toEqual(['a', 'b', 'x', 'y']);
  expect(await people.findOne({ _id: 4 })).toEqual({
    _id: 4,
    email: 'replaced@example.com',
    age: 99,
    senior: true,
  });
  expect(await people.findOne({ _id: 'upserted' })).toEqual({
    _id: 'upserted',
    email: 'upsert@example.com',
    createdAt: new Date(0),
  });

  const indexes = await people.listIndexes().toArray();
  expect(indexes.map((index) => index.name)).toEqual([
    '_id_',
    'email_1',
    'city_age',
    'nick_1',
    'high_scores',
    'seenAt_1',
  ]);
  expect(indexes.find((index) => index.name === 'email_1')?.unique).toBe(true);
  expect(indexes.find((index) => index.name === 'nick_1')).toMatchObject({
    unique: true,
    sparse: true,
  });
  expect(indexes.find((index) => index.name === 'high_scores')?.partialFilterExpression).toEqual({
    score: { $gt: 10 },
  });
  expect(indexes.find((index) => index.name === 'seenAt_1')?.expireAfterSeconds).toBe(
    3600 * 24 * 365 * 100,
  );

  // Unique indexes are still enforced, by key and by the sparse rule.
  const duplicate = await rejection<Error & Record<string, unknown>>(
    people.insertOne({ email: 'six@example.com' }),
  );
  expect(duplicate.code).toBe(11000);
  expect(duplicate.keyValue).toEqual({ email: 'six@example.com' });
  const nickDuplicate = await rejection<Error & Record<string, unknown>>(
    people.insertOne({ email: 'n@x', nick: 'nick10' }),
  );
  expect(nickDuplicate.code).toBe(11000);
  const renamedDuplicate = await rejection<Error & Record<string, unknown>>(
    app.collection<Loose>('published').insertOne({ title: 'two' }),
  );
  expect(renamedDuplicate.code).toBe(11000);
  await people.insertMany([{ email: 'no-nick-1@x' }, { email: 'no-nick-2@x' }]);
  await people.deleteMany({ email: /^no-nick-/ });
  expect(await people.countDocuments()).toBe(45);
}

describe('restart on the same dbPath', () => {
  it('keeps documents, BSON types, indexes and catalog changes exactly, across two restarts', async () => {
    const dir = await dataDir();
    const { logger, entries } = recordingLogger();
    let engine = await startEngine({ dbPath: dir, logger });
    let client = await connect(engine.uri);
    await writeEverything(client);
    await expectEverything(client);
    const before = await dumpState(client);
    await client.close();
    await engine.stop();

    engine = await startEngine({ dbPath: dir, logger });
    client = await connect(engine.uri);
    expect(await dumpState(client)).toEqual(before);
    await expectEverything(client);

    // Writes after a recovery are journaled after the recovered ones.
    await client
      .db('app')
      .collection<Loose>('people')
      .updateOne({ _id: 5 }, { $set: { after: 1 } });
    await client.db('app').collection<Loose>('published').drop();
    await client.db('later').collection<Loose>('c').insertOne({ _id: 'x' });
    const second = await dumpState(client);
    await client.close();
    await engine.stop();

    engine = await startEngine({ dbPath: dir, logger });
    client = await connect(engine.uri);
    expect(await dumpState(client)).toEqual(second);
    expect((await client.db('app').collection<Loose>('people').findOne({ _id: 5 }))?.after).toBe(1);
    expect(second['app.published']).toBeUndefined();
    expect(problems(entries)).toEqual([]);
  });

  it('keeps all data through several compactions (compactThresholdBytes: 1024)', async () => {
    const dir = await dataDir();
    const { logger, entries } = recordingLogger();
    let engine = await startEngine({ dbPath: dir, logger, compactThresholdBytes: 1024 });
    let client = await connect(engine.uri);
    const items = client.db('compact').collection<Item>('items');
    await items.createIndex({ sku: 1 }, { unique: true });
    const snapshots = new Set<string>();
    for (let batch = 0; batch < 20; batch += 1) {
      await items.insertMany(
        Array.from({ length: 25 }, (_, i) => ({
          _id: batch * 25 + i,
          sku: `sku-${batch * 25 + i}`,
          qty: new Int32(i),
          price: Decimal128.fromString(`${batch}.${i}`),
          note: 'x'.repeat(40),
        })),
      );
      await items.updateMany({ _id: { $lt: batch * 25 } }, { $inc: { qty: 1 } });
      await items.deleteOne({ _id: batch * 25 + 24 });
      for (const name of await readdir(dir)) if (name.startsWith('snapshot-')) snapshots.add(name);
    }
    await writeEverything(client);
    const before = await dumpState(client);
    await client.close();
    await engine.stop();

    // Each compaction writes snapshot-<n> with a higher n and removes the older ones.
    const remaining = (await readdir(dir)).filter((name) => /^snapshot-\d+\.bson$/.test(name));
    expect(remaining).toHaveLength(1);
    snapshots.add(remaining[0]!);
    const newest = Number(/\d+/.exec(remaining[0]!)?.[0]);
    expect(newest).toBeGreaterThanOrEqual(3);
    expect(snapshots.size).toBeGreaterThanOrEqual(3);

    engine = await startEngine({ dbPath: dir, logger, compactThresholdBytes: 1024 });
    client = await connect(engine.uri);
    expect(await dumpState(client)).toEqual(before);
    await expectEverything(client, ['compact']);
    const restored = client.db('compact').collection<Loose>('items');
    expect(await restored.countDocuments()).toBe(480);
    expect(await restored.findOne({ _id: 0 })).toMatchObject({ sku: 'sku-0', qty: 19 });
    expect(
      (await rejection<Error & Record<string, unknown>>(restored.insertOne({ sku: 'sku-1' }))).code,
    ).toBe(11000);
    expect(problems(entries)).toEqual([]);
  });
});

/** Resolves with the first stdout line of `child` (rejects if it exits first). */
function firstLine(child: ChildProcess, stderr: () => string): Promise<string> {
  return new Promise((resolveLine, reject) => {
    let buffered = '';
    const onData = (chunk: Buffer): void => {
      buffered += chunk.toString('utf8');
      const newline = buffered.indexOf('\n');
      if (newline >= 0) {
        child.stdout?.off('data', onData);
        child.off('exit', onExit);
        resolveLine(buffered.slice(0, newline));
      }
    };
    const onExit = (code: number | null, signal: string | null): void =>
      reject(new Error(`child exited (${code ?? signal}) before printing: ${stderr()}`));
    child.stdout?.on('data', onData);
    child.once('exit', onExit);
  });
}

/** Starts the engine in a child process on `dir`; killed in cleanup if still running. */
async function startChildEngine(
  root: string,
  options: EmbeddedMongoOptions,
): Promise<{ child: ChildProcess; uri: string }> {
  const script = join(root, 'child-engine.ts');
  await writeFile(
    script,
    [
      `import { startEmbeddedMongo } from ${JSON.stringify(ENGINE_ENTRY)};`,
      'async function main(): Promise<void> {',
      `  const server = await startEmbeddedMongo(${JSON.stringify({ ...options, port: 0 })});`,
      '  process.stdout.write(`${server.uri}\\n`);',
      '}',
      'main().catch((error: unknown) => {',
      '  process.stderr.write(`${String(error)}\\n`);',
      '  process.exit(1);',
      '});',
      '',
    ].join('\n'),
  );
  const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', script], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<void>((resolveExit) => {
    if (child.exitCode !== null || child.signalCode !== null) resolveExit();
    else child.once('exit', () => resolveExit());
  });
  onCleanup(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const line = await firstLine(child, () => stderr);
  expect(line).toMatch(/^mongodb:\/\/127\.0\.0\.1:\d+$/);
  return { child, uri: line };
}

describe('crash safety', () => {
  it.each([
    ['the default compaction threshold', undefined],
    ['compactions running (compactThresholdBytes: 4096)', 4096],
  ])(
    'keeps every acknowledged insert after kill -9 with writes in flight, %s',
    async (_, compactThresholdBytes) => {
      const root = await dataDir();
      const dir = join(root, 'data');
      const { child, uri } = await startChildEngine(root, { dbPath: dir, compactThresholdBytes });
      const exited = new Promise<NodeJS.Signals | null>((resolveExit) =>
        child.once('exit', (_code, signal) => resolveExit(signal)),
      );

      // The running child holds the directory: this process cannot open it.
      const locked = await rejection<Error & Record<string, unknown>>(
        startEmbeddedMongo({ port: 0, dbPath: dir }),
      );
      expect(locked.message).toMatch(/is locked by running process/);
      expect(locked.message).toContain(String(child.pid));

      const client = await connect(uri, { serverSelectionTimeoutMS: 2000, retryWrites: false });
      const docs = client.db('crash').collection<{ _id: number; payload: string }>('acks');
      const acknowledged = new Set<number>();
      let nextId = 0;
      let killed = false;
      let inFlightAtKill = 0;
      let unexpected: unknown;
      let resolveKilled = (): void => undefined;
      const killedSignal = new Promise<void>((resolveSignal) => (resolveKilled = resolveSignal));
      const kill = (): void => {
        killed = true;
        inFlightAtKill = nextId - acknowledged.size;
        child.kill('SIGKILL');
        resolveKilled();
      };
      const writer = async (): Promise<void> => {
        while (!killed) {
          const id = nextId++;
          try {
            await docs.insertOne({ _id: id, payload: `document ${id}`.padEnd(200, '.') });
          } catch (error) {
            // Only writes cut off by the kill may fail.
            if (!killed) {
              unexpected = error;
              kill();
            }
            return;
          }
          acknowledged.add(id);
          if (acknowledged.size >= 300 && !killed) kill();
        }
      };
      const writers = Array.from({ length: 8 }, () => writer());
      await killedSignal;
      expect(await exited).toBe('SIGKILL');
      await Promise.all(writers);
      await client.close(true);
      expect(unexpected).toBeUndefined();
      const attempted = nextId;
      expect(acknowledged.size).toBeGreaterThanOrEqual(300);
      // The other writers each had an insert sent and not yet acknowledged.
      expect(inFlightAtKill).toBe(7);
      if (compactThresholdBytes !== undefined) {
        expect((await readdir(dir)).some((name) => name.startsWith('snapshot-'))).toBe(true);
      }

      const { logger, entries } = recordingLogger();
      const engine = await startEngine({ dbPath: dir, logger });
      const after = await connect(engine.uri);
      const stored = await after
        .db('crash')
        .collection<{ _id: number; payload: string }>('acks')
        .find()
        .toArray();
      const storedIds = new Set(stored.map((doc) => doc._id));
      const lost = [...acknowledged].filter((id) => !storedIds.has(id));
      expect(lost).toEqual([]);
      // Nothing invented: every stored document is one that was sent, intact.
      for (const doc of stored) {
        expect(doc._id).toBeLessThan(attempted);
        expect(doc.payload).toBe(`document ${doc._id}`.padEnd(200, '.'));
      }
      expect(problems(entries)).toEqual([]);

      // The recovered directory takes new writes and keeps them.
      await after.db('crash').collection<Loose>('acks').insertOne({ _id: -1, payload: 'after' });
      await after.close();
      await engine.stop();
      const again = await startEngine({ dbPath: dir });
      const check = await connect(again.uri);
      expect(await check.db('crash').collection<Loose>('acks').countDocuments()).toBe(
        stored.length + 1,
      );
    },
  );

  it('keeps 20 concurrent clients × 500 inserts (10,000 documents) across a restart', async () => {
    // Generous limit for slow disks: 10,000 fsync'ed round trips, no timing asserted.
    const dir = await dataDir();
    let engine: EmbeddedMongo = await startEngine({ dbPath: dir });
    const clients = await Promise.all(
      Array.from({ length: 20 }, () => connect(engine.uri, { maxPoolSize: 1 })),
    );
    await Promise.all(
      clients.map(async (client, c) => {
        const coll = client.db('load').collection<Loose>('docs');
        for (let i = 0; i < 500; i += 1) {
          const result = await coll.insertOne({ _id: `${c}-${i}`, client: c, i });
          expect(result.acknowledged).toBe(true);
        }
      }),
    );
    await Promise.all(clients.map((client) => client.close()));
    await engine.stop();

    engine = await startEngine({ dbPath: dir });
    const client = await connect(engine.uri);
    const coll = client.db('load').collection<Loose>('docs');
    expect(await coll.countDocuments()).toBe(10_000);
    const perClient = await coll
      .aggregate<{ _id: number; n: number; sum: number }>([
        { $group: { _id: '$client', n: { $sum: 1 }, sum: { $sum: '$i' } } },
        { $sort: { _id: 1 } },
      ])
      .toArray();
    expect(perClient).toEqual(
      Array.from({ length: 20 }, (_, c) => ({ _id: c, n: 500, sum: (499 * 500) / 2 })),
    );
    expect(await coll.findOne({ _id: '19-499' })).toEqual({ _id: '19-499', client: 19, i: 499 });
  }, 60_000);
});

describe('data directory lock', () => {
  it('refuses a second engine on a dbPath in use, with a clear error', async () => {
    const dir = await dataDir();
    const first = await startEngine({ dbPath: dir });
    const client = await connect(first.uri);
    await client.db('lock').collection<Loose>('c').insertOne({ _id: 1 });

    const error = await rejection<Error & Record<string, unknown>>(
      startEmbeddedMongo({ port: 0, dbPath: dir }),
    );
    expect(error.message).toMatch(/Journal directory .* is already open in this process/);
    expect(error.message).toContain('embedded-mongo-persistence-');

    // The refused start did not disturb the running engine.
    await client.db('lock').collection<Loose>('c').insertOne({ _id: 2 });
    expect(await client.db('lock').collection<Loose>('c').countDocuments()).toBe(2);
    await client.close();
    await first.stop();

    // Once the first engine stopped, the directory can be opened again.
    const second = await startEngine({ dbPath: dir });
    const reopened = await connect(second.uri);
    expect(await reopened.db('lock').collection<Loose>('c').countDocuments()).toBe(2);
  });
});
