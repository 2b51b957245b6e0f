import type { Db, Document } from 'mongodb';
import { type Doc, rejection, useEngineDatabase } from './helpers/engine';

const engine = useEngineDatabase('cmd');
const { freshDb } = engine;

async function collectionNames(db: Db): Promise<string[]> {
  return (await db.listCollections({}, { nameOnly: true }).toArray()).map((c) => c.name).sort();
}

describe('handshake and diagnostics', () => {
  it('ping', async () => {
    expect(await engine.client.db('admin').command({ ping: 1 })).toMatchObject({ ok: 1 });
    expect(await engine.client.db('admin').admin().ping()).toMatchObject({ ok: 1 });
  });

  it('hello describes a writable standalone speaking wire version 21', async () => {
    const hello = await engine.client.db('admin').command({ hello: 1 });
    expect(hello).toMatchObject({
      ok: 1,
      isWritablePrimary: true,
      maxWireVersion: 21,
      maxBsonObjectSize: 16 * 1024 * 1024,
      maxMessageSizeBytes: 48_000_000,
      maxWriteBatchSize: 100_000,
      readOnly: false,
    });
    expect(hello.minWireVersion).toBeLessThanOrEqual(21);
    expect(hello.localTime).toBeInstanceOf(Date);
    expect(typeof hello.connectionId).toBe('number');
    expect(typeof hello.logicalSessionTimeoutMinutes).toBe('number');
    // A standalone: no replica set name, no hosts list.
    expect(hello.setName).toBeUndefined();
    expect(hello.hosts).toBeUndefined();
    const legacy = await engine.client.db('admin').command({ isMaster: 1 });
    expect(legacy).toMatchObject({ ok: 1, ismaster: true, maxWireVersion: 21 });
  });

  it('buildInfo reports a 7.0.x server', async () => {
    const info = await engine.client.db('admin').admin().buildInfo();
    expect(info.ok).toBe(1);
    expect(info.version).toMatch(/^7\.0\.\d+$/);
    expect(info.versionArray.slice(0, 2)).toEqual([7, 0]);
    expect(info.maxBsonObjectSize).toBe(16 * 1024 * 1024);
  });

  it('whatsmyuri returns the client address', async () => {
    const reply = await engine.client.db('admin').command({ whatsmyuri: 1 });
    expect(reply.ok).toBe(1);
    expect(reply.you).toMatch(/^127\.0\.0\.1:\d+$/);
  });

  it('serverStatus reports version, uptime and connections', async () => {
    const status = await engine.client.db('admin').command({ serverStatus: 1 });
    expect(status.ok).toBe(1);
    expect(status.version).toMatch(/^7\.0\.\d+$/);
    expect(typeof status.uptime).toBe('number');
    expect(status.connections.current).toBeGreaterThanOrEqual(1);
  });
});

describe('databases', () => {
  it('listDatabases lists databases that hold data, with sizes; nameOnly and filter', async () => {
    const a = freshDb();
    const b = freshDb();
    await a.collection<Doc>('x').insertOne({ n: 1 });
    await b.collection<Doc>('y').insertMany([{ n: 1 }, { n: 2 }]);
    const admin = engine.client.db('admin').admin();
    const listed = await admin.listDatabases();
    const byName = new Map(listed.databases.map((d) => [d.name, d]));
    expect(byName.get(a.databaseName)).toMatchObject({ name: a.databaseName, empty: false });
    expect(byName.get(b.databaseName)?.sizeOnDisk).toBeGreaterThan(0);
    expect(typeof listed.totalSize).toBe('number');
    const names = await admin.listDatabases({ nameOnly: true });
    const entry = names.databases.find((d) => d.name === a.databaseName);
    expect(entry).toEqual({ name: a.databaseName });
    const filtered = await admin.listDatabases({ filter: { name: b.databaseName } });
    expect(filtered.databases.map((d) => d.name)).toEqual([b.databaseName]);
  });

  it('dropDatabase removes every collection of the database', async () => {
    const db = freshDb();
    await db.collection<Doc>('one').insertOne({ a: 1 });
    await db.collection<Doc>('two').insertOne({ a: 1 });
    expect(await db.dropDatabase()).toBe(true);
    expect(await collectionNames(db)).toEqual([]);
    expect(await db.collection<Doc>('one').countDocuments()).toBe(0);
    const listed = await engine.client.db('admin').admin().listDatabases({ nameOnly: true });
    expect(listed.databases.map((d) => d.name)).not.toContain(db.databaseName);
    // Dropping a database that does not exist is fine.
    expect(await engine.client.db('never_existed_db').dropDatabase()).toBe(true);
  });

  it('dbStats counts collections, objects and indexes', async () => {
    const db = freshDb();
    await db.collection<Doc>('a').insertMany([{ x: 1 }, { x: 2 }, { x: 3 }]);
    await db.collection<Doc>('b').insertOne({ y: 1 });
    await db.collection<Doc>('b').createIndex({ y: 1 });
    const stats = await db.stats();
    expect(stats).toMatchObject({
      ok: 1,
      db: db.databaseName,
      collections: 2,
      objects: 4,
      indexes: 3,
    });
    expect(stats.dataSize).toBeGreaterThan(0);
  });
});

describe('collections', () => {
  it('listCollections: full entries, filter by name, nameOnly', async () => {
    const db = freshDb();
    await db.createCollection('alpha');
    await db.collection<Doc>('beta').insertOne({ a: 1 });
    const all = await db.listCollections().toArray();
    expect(all.map((c) => c.name).sort()).toEqual(['alpha', 'beta']);
    const alpha = all.find((c) => c.name === 'alpha') as Document;
    expect(alpha).toMatchObject({ name: 'alpha', type: 'collection', options: {} });
    expect(alpha.info.readOnly).toBe(false);
    expect(alpha.info.uuid).toBeDefined();
    expect(alpha.idIndex).toMatchObject({ key: { _id: 1 }, name: '_id_' });
    const filtered = await db.listCollections({ name: 'beta' }).toArray();
    expect(filtered.map((c) => c.name)).toEqual(['beta']);
    const nameOnly = await db.listCollections({}, { nameOnly: true }).toArray();
    expect(nameOnly.map((c) => c.name).sort()).toEqual(['alpha', 'beta']);
    for (const entry of nameOnly) expect(Object.keys(entry).sort()).toEqual(['name', 'type']);
    expect(await db.listCollections({ name: 'gamma' }).toArray()).toEqual([]);
  });

  it('create: again with the same options succeeds (7.0); different options is NamespaceExists (48)', async () => {
    const db = freshDb();
    expect(await db.command({ create: 'c' })).toMatchObject({ ok: 1 });
    expect(await db.command({ create: 'c' })).toMatchObject({ ok: 1 });
    const storageEngine = { wiredTiger: { configString: 'block_compressor=zstd' } };
    const error = await rejection(db.command({ create: 'c', storageEngine }));
    expect(error.code).toBe(48);
    expect(error.codeName).toBe('NamespaceExists');
    // A collection created by an insert exists too.
    await db.collection<Doc>('d').insertOne({ a: 1 });
    expect((await rejection(db.createCollection('d', { storageEngine }))).code).toBe(48);
    expect(await collectionNames(db)).toEqual(['c', 'd']);
  });

  it('create: refuses options whose rules the engine would not enforce (238), creating nothing', async () => {
    const db = freshDb();
    for (const options of [
      { changeStreamPreAndPostImages: { enabled: true } },
      { encryptedFields: { fields: [] } },
    ]) {
      const error = await rejection(db.command({ create: 'v', ...options }));
      expect(error.code).toBe(238);
      expect(error.message).toMatch(/not supported by the embedded MongoDB engine/);
    }
    expect(await collectionNames(db)).toEqual([]);
  });

  it('drop: removes the collection and its indexes; a missing collection is fine (7.0)', async () => {
    const db = freshDb();
    const coll = db.collection<Doc>('gone');
    await coll.insertMany([{ a: 1 }, { a: 2 }]);
    await coll.createIndex({ a: 1 });
    const reply = await db.command({ drop: 'gone' });
    expect(reply).toMatchObject({ ok: 1, nIndexesWas: 2 });
    expect(await collectionNames(db)).toEqual([]);
    expect(await coll.countDocuments()).toBe(0);
    // Since 7.0 (SERVER-43894) dropping a collection that does not exist succeeds.
    expect(await db.command({ drop: 'gone' })).toMatchObject({ ok: 1 });
    expect(await coll.drop()).toBe(true);
    // Recreated from scratch: the old index is gone.
    await coll.insertOne({ a: 3 });
    expect((await coll.listIndexes().toArray()).map((i) => i.name)).toEqual(['_id_']);
  });

  it('listIndexes on a missing collection is NamespaceNotFound (26)', async () => {
    const db = freshDb();
    const error = await rejection(db.collection<Doc>('missing').listIndexes().toArray());
    expect(error.code).toBe(26);
  });

  it('renameCollection moves documents and indexes', async () => {
    const db = freshDb();
    const source = db.collection<Doc>('src');
    await source.insertMany([
      { _id: 1, k: 'a' },
      { _id: 2, k: 'b' },
    ]);
    await source.createIndex({ k: 1 }, { unique: true });
    const renamed = await source.rename('dst');
    expect(renamed.collectionName).toBe('dst');
    expect(await collectionNames(db)).toEqual(['dst']);
    const dst = db.collection<Doc>('dst');
    expect(await dst.find().sort({ _id: 1 }).toArray()).toEqual([
      { _id: 1, k: 'a' },
      { _id: 2, k: 'b' },
    ]);
    expect((await dst.listIndexes().toArray()).map((i) => i.name)).toEqual(['_id_', 'k_1']);
    expect((await rejection(dst.insertOne({ k: 'a' }))).code).toBe(11000);
  });

  it('renameCollection onto an existing collection needs dropTarget', async () => {
    const db = freshDb();
    await db.collection<Doc>('from').insertOne({ _id: 'from' });
    await db.collection<Doc>('to').insertOne({ _id: 'to' });
    const error = await rejection(db.collection<Doc>('from').rename('to'));
    expect(error.code).toBe(48);
    expect(await db.collection<Doc>('to').find().toArray()).toEqual([{ _id: 'to' }]);
    await db.collection<Doc>('from').rename('to', { dropTarget: true });
    expect(await collectionNames(db)).toEqual(['to']);
    expect(await db.collection<Doc>('to').find().toArray()).toEqual([{ _id: 'from' }]);
  });

  it('renameCollection of a missing source is NamespaceNotFound (26)', async () => {
    const db = freshDb();
    const error = await rejection(
      engine.client.db('admin').command({
        renameCollection: `${db.databaseName}.nothing`,
        to: `${db.databaseName}.other`,
      }),
    );
    expect(error.code).toBe(26);
  });

  it('renameCollection across databases', async () => {
    const from = freshDb();
    const to = freshDb();
    await from.collection<Doc>('c').insertMany([{ _id: 1 }, { _id: 2 }]);
    await engine.client.db('admin').command({
      renameCollection: `${from.databaseName}.c`,
      to: `${to.databaseName}.moved`,
    });
    expect(await collectionNames(from)).toEqual([]);
    expect(await to.collection<Doc>('moved').countDocuments()).toBe(2);
  });

  it('collStats counts documents and indexes', async () => {
    const db = freshDb();
    const coll = db.collection<Doc>('stats');
    await coll.insertMany(Array.from({ length: 10 }, (_, i) => ({ i, pad: 'x'.repeat(100) })));
    await coll.createIndex({ i: 1 });
    const stats = await db.command({ collStats: 'stats' });
    expect(stats).toMatchObject({ ok: 1, ns: `${db.databaseName}.stats`, count: 10, nindexes: 2 });
    expect(stats.size).toBeGreaterThan(1000);
    expect(stats.avgObjSize).toBeGreaterThan(100);
    expect(Object.keys(stats.indexSizes).sort()).toEqual(['_id_', 'i_1']);
  });
});
