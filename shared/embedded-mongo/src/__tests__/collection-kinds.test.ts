import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Db, Document } from 'mongodb';
import { type Doc, cleanup, connect, onCleanup, rejection, startEngine } from './helpers/engine';
import type { EmbeddedMongo } from '../index';

/** Capped, clustered and time-series collections, as MongoDB 7.0 shows them to a driver. */

let server: EmbeddedMongo;
let db: Db;
let created = 0;
beforeAll(async () => {
  server = await startEngine();
  db = (await connect(server.uri)).db('kinds');
});
afterAll(cleanup);

async function create(options: Document): Promise<string> {
  created += 1;
  const name = `k${created}`;
  await db.createCollection(name, options);
  return name;
}

async function info(name: string): Promise<Document | undefined> {
  const [found] = await db.listCollections({ name }, { nameOnly: false }).toArray();
  return found;
}

describe('capped collections', () => {
  it('keep the newest documents within max, in insertion order', async () => {
    const name = await create({ capped: true, size: 100_000, max: 3 });
    const coll = db.collection<Doc>(name);
    for (let i = 1; i <= 5; i++) await coll.insertOne({ _id: i });
    expect(await coll.find().toArray()).toEqual([{ _id: 3 }, { _id: 4 }, { _id: 5 }]);
    expect(await coll.find().sort({ $natural: -1 }).toArray()).toEqual([
      { _id: 5 },
      { _id: 4 },
      { _id: 3 },
    ]);
    expect(await coll.isCapped()).toBe(true);
    expect((await info(name))?.options).toEqual({ capped: true, size: 100_096, max: 3 });
    const stats = await db.command({ collStats: name });
    expect(stats).toMatchObject({ capped: true, maxSize: 100_096, max: 3, count: 3 });
  });

  it('remove the oldest documents to stay within size (rounded up to 256 bytes)', async () => {
    const name = await create({ capped: true, size: 1000 });
    const coll = db.collection<Doc>(name);
    const padding = 'x'.repeat(200);
    for (let i = 1; i <= 10; i++) await coll.insertOne({ _id: i, padding });
    const kept = (await coll.find().toArray()).map((doc) => doc._id);
    // Each document is 225 bytes: four fit in 1024.
    expect(kept).toEqual([7, 8, 9, 10]);
    const stats = await db.command({ collStats: name });
    expect(stats.size).toBeLessThanOrEqual(1024);
    // A document larger than the whole collection is refused.
    expect(await rejection(coll.insertOne({ big: 'y'.repeat(2000) }))).toMatchObject({ code: 2 });
  });

  it('allow updates and deletes (mongod 5.0.7+), and refuse a capped collection without size', async () => {
    const name = await create({ capped: true, size: 4096 });
    const coll = db.collection<Doc>(name);
    await coll.insertMany([
      { _id: 1, a: 1 },
      { _id: 2, a: 2 },
    ]);
    await coll.updateOne({ _id: 1 }, { $set: { a: 10 } });
    await coll.deleteOne({ _id: 2 });
    expect(await coll.find().toArray()).toEqual([{ _id: 1, a: 10 }]);
    expect(await rejection(db.command({ create: 'nosize', capped: true }))).toMatchObject({
      code: 72,
      codeName: 'InvalidOptions',
    });
  });

  it('convertToCapped and collMod cappedMax trim to the newest documents', async () => {
    const name = await create({});
    const coll = db.collection<Doc>(name);
    await coll.insertMany([1, 2, 3, 4].map((i) => ({ _id: i, a: i })));
    await coll.createIndex({ a: 1 });
    await db.command({ convertToCapped: name, size: 8192 });
    expect(await coll.isCapped()).toBe(true);
    expect((await coll.listIndexes().toArray()).map((index) => index.name)).toEqual(['_id_']);
    await db.command({ collMod: name, cappedMax: 2 });
    expect(await coll.find().toArray()).toEqual([
      { _id: 3, a: 3 },
      { _id: 4, a: 4 },
    ]);
    expect((await info(name))?.options).toEqual({ capped: true, size: 8192, max: 2 });
  });
});

describe('clustered collections', () => {
  it('keep documents in _id order and report their clustered index', async () => {
    const name = await create({ clusteredIndex: { key: { _id: 1 }, unique: true } });
    const coll = db.collection<Doc>(name);
    await coll.insertMany([{ _id: 3 }, { _id: 1 }, { _id: 2 }]);
    expect(await coll.find().toArray()).toEqual([{ _id: 1 }, { _id: 2 }, { _id: 3 }]);
    expect(await rejection(coll.insertOne({ _id: 2 }))).toMatchObject({ code: 11000 });
    const listed = await info(name);
    expect(listed).toMatchObject({
      type: 'collection',
      options: { clusteredIndex: { v: 2, key: { _id: 1 }, name: '_id_', unique: true } },
    });
    expect(listed?.idIndex).toBeUndefined();
    expect(await coll.listIndexes().toArray()).toEqual([
      { v: 2, key: { _id: 1 }, name: '_id_', unique: true, clustered: true },
    ]);
  });

  it('expire documents by their _id date with a collection TTL', async () => {
    const name = await create({
      clusteredIndex: { key: { _id: 1 }, unique: true, name: 'byDate' },
      expireAfterSeconds: 60,
    });
    const coll = db.collection(name);
    const old = new Date(Date.now() - 3_600_000);
    const fresh = new Date();
    await coll.insertMany([{ _id: old as never }, { _id: fresh as never }]);
    expect((await info(name))?.options.expireAfterSeconds).toBe(60);
    server.removeExpiredDocuments();
    expect(await coll.find().toArray()).toEqual([{ _id: fresh }]);
  });

  it('refuse a key other than {_id: 1} and a non-unique one', async () => {
    for (const clusteredIndex of [
      { key: { a: 1 }, unique: true },
      { key: { _id: 1 }, unique: false },
    ]) {
      expect(await rejection(db.createCollection('refused', { clusteredIndex }))).toMatchObject({
        code: 197,
      });
    }
    expect(
      await rejection(
        db.command({ create: 'refused', capped: true, size: 4096, expireAfterSeconds: 5 }),
      ),
    ).toMatchObject({ code: 72 });
  });
});

describe('time-series collections', () => {
  it('read measurements back as inserted, list as type timeseries, and index meta and time', async () => {
    const name = await create({
      timeseries: { timeField: 'at', metaField: 'sensor', granularity: 'minutes' },
    });
    const coll = db.collection<Doc>(name);
    const at = new Date('2026-12-01T10:00:00Z');
    await coll.insertMany([
      { _id: 1, at, sensor: { id: 'a' }, temp: 20.5 },
      { _id: 2, at: new Date(at.getTime() + 60_000), sensor: { id: 'b' }, temp: 21 },
    ]);
    expect(await coll.find({ 'sensor.id': 'a' }).toArray()).toEqual([
      { _id: 1, at, sensor: { id: 'a' }, temp: 20.5 },
    ]);
    const averages = await coll
      .aggregate([{ $group: { _id: null, avg: { $avg: '$temp' } } }])
      .toArray();
    expect(averages).toEqual([{ _id: null, avg: 20.75 }]);
    expect(await info(name)).toMatchObject({
      name,
      type: 'timeseries',
      options: {
        timeseries: {
          timeField: 'at',
          metaField: 'sensor',
          granularity: 'minutes',
          bucketMaxSpanSeconds: 86400,
        },
      },
    });
    expect((await coll.listIndexes().toArray()).map((index) => index.key)).toEqual([
      { sensor: 1, at: 1 },
    ]);
  });

  it('refuse a measurement without a date in the time field, and bad options', async () => {
    const name = await create({ timeseries: { timeField: 'at' } });
    const coll = db.collection<Doc>(name);
    expect(await rejection(coll.insertOne({ at: 'yesterday' }))).toMatchObject({ code: 2 });
    expect(await rejection(coll.insertOne({ value: 1 }))).toMatchObject({ code: 2 });
    expect(await rejection(db.createCollection('bad', { timeseries: {} as never }))).toMatchObject({
      code: 40414,
    });
    expect(
      await rejection(
        db.createCollection('bad', {
          timeseries: { timeField: 't', granularity: 'days' as never },
        }),
      ),
    ).toMatchObject({ code: 2 });
    expect(
      await rejection(
        db.createCollection('bad', { timeseries: { timeField: 't', metaField: 't' } }),
      ),
    ).toMatchObject({ code: 72 });
  });

  it('expire measurements by their time field with expireAfterSeconds', async () => {
    const name = await create({ timeseries: { timeField: 'at' }, expireAfterSeconds: 3600 });
    const coll = db.collection<Doc>(name);
    await coll.insertMany([
      { _id: 1, at: new Date(Date.now() - 7_200_000) },
      { _id: 2, at: new Date() },
    ]);
    server.removeExpiredDocuments();
    expect((await coll.find().toArray()).map((doc) => doc._id)).toEqual([2]);
    await db.command({ collMod: name, expireAfterSeconds: 'off' });
    expect((await info(name))?.options.expireAfterSeconds).toBeUndefined();
  });
});

describe('persistence', () => {
  it('capped, clustered and time-series options survive a restart', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'embedded-mongo-kinds-'));
    onCleanup(() => rm(dir, { recursive: true, force: true }));
    const first = await startEngine({ dbPath: dir });
    const before = (await connect(first.uri)).db('kept');
    await before.createCollection('log', { capped: true, size: 4096, max: 2 });
    await before.createCollection('byId', { clusteredIndex: { key: { _id: 1 }, unique: true } });
    await before.createCollection('metrics', { timeseries: { timeField: 't', metaField: 'm' } });
    for (let i = 1; i <= 3; i++) await before.collection<Doc>('log').insertOne({ _id: i });
    await before.collection<Doc>('byId').insertMany([{ _id: 2 }, { _id: 1 }]);
    await first.stop();

    const second = await startEngine({ dbPath: dir });
    const after = (await connect(second.uri)).db('kept');
    const listed = await after.listCollections({}, { nameOnly: false }).toArray();
    const byName = Object.fromEntries(listed.map((entry) => [entry.name, entry]));
    expect(byName.log?.options).toEqual({ capped: true, size: 4096, max: 2 });
    expect(byName.metrics?.type).toBe('timeseries');
    expect(await after.collection<Doc>('log').find().toArray()).toEqual([{ _id: 2 }, { _id: 3 }]);
    await after.collection<Doc>('log').insertOne({ _id: 4 });
    expect(await after.collection<Doc>('log').find().toArray()).toEqual([{ _id: 3 }, { _id: 4 }]);
    expect(await after.collection<Doc>('byId').find().toArray()).toEqual([{ _id: 1 }, { _id: 2 }]);
    expect(await rejection(after.collection('metrics').insertOne({ m: 1 }))).toMatchObject({
      code: 2,
    });
  });
});
