import { MongoServerError, type Collection, type Document } from 'mongodb';
import { type Doc, connect, rejection, useEngineDatabase } from './helpers/engine';

const engine = useEngineDatabase('indexes', 'i');
const { fresh } = engine;

async function indexNames(coll: Collection<Doc>): Promise<string[]> {
  return (await coll.listIndexes().toArray()).map((index) => index.name as string);
}

describe('unique indexes', () => {
  it('refuses a duplicate on a single field with a mongod-style E11000 error', async () => {
    const coll = fresh();
    await coll.createIndex({ email: 1 }, { unique: true });
    await coll.insertOne({ _id: 1, email: 'a@x.io' });
    const error = await rejection(coll.insertOne({ _id: 2, email: 'a@x.io' }));
    expect(error).toBeInstanceOf(MongoServerError);
    expect(error.code).toBe(11000);
    expect(error.keyPattern).toEqual({ email: 1 });
    expect(error.keyValue).toEqual({ email: 'a@x.io' });
    expect(error.message).toBe(
      `E11000 duplicate key error collection: indexes.${coll.collectionName} index: email_1 dup key: { email: "a@x.io" }`,
    );
    expect(await coll.countDocuments()).toBe(1);
  });

  it('the _id index is unique', async () => {
    const coll = fresh();
    await coll.insertOne({ _id: 7 });
    const error = await rejection(coll.insertOne({ _id: 7 }));
    expect(error.code).toBe(11000);
    expect(error.keyPattern).toEqual({ _id: 1 });
    expect(error.keyValue).toEqual({ _id: 7 });
    expect(error.message).toBe(
      `E11000 duplicate key error collection: indexes.${coll.collectionName} index: _id_ dup key: { _id: 7 }`,
    );
  });

  it('compound unique: the same pair is refused, a different pair is allowed', async () => {
    const coll = fresh();
    await coll.createIndex({ tenant: 1, slug: 1 }, { unique: true });
    await coll.insertOne({ tenant: 't1', slug: 'home' });
    await coll.insertOne({ tenant: 't2', slug: 'home' });
    await coll.insertOne({ tenant: 't1', slug: 'about' });
    const error = await rejection(coll.insertOne({ tenant: 't1', slug: 'home' }));
    expect(error.code).toBe(11000);
    expect(error.keyPattern).toEqual({ tenant: 1, slug: 1 });
    expect(error.keyValue).toEqual({ tenant: 't1', slug: 'home' });
    expect(error.message).toBe(
      `E11000 duplicate key error collection: indexes.${coll.collectionName} index: tenant_1_slug_1 dup key: { tenant: "t1", slug: "home" }`,
    );
    expect(await coll.countDocuments()).toBe(3);
  });

  it('an update that would create a duplicate fails and leaves the document unchanged', async () => {
    const coll = fresh();
    await coll.createIndex({ email: 1 }, { unique: true });
    await coll.insertMany([
      { _id: 1, email: 'a@x.io', n: 1 },
      { _id: 2, email: 'b@x.io', n: 2 },
    ]);
    const error = await rejection(coll.updateOne({ _id: 2 }, { $set: { email: 'a@x.io', n: 99 } }));
    expect(error.code).toBe(11000);
    expect(error.keyValue).toEqual({ email: 'a@x.io' });
    expect(await coll.findOne({ _id: 2 })).toEqual({ _id: 2, email: 'b@x.io', n: 2 });
    const replace = await rejection(coll.replaceOne({ _id: 2 }, { email: 'a@x.io' }));
    expect(replace.code).toBe(11000);
    const many = await rejection(coll.updateMany({}, { $set: { email: 'same@x.io' } }));
    expect(many.code).toBe(11000);
    expect(await coll.find().sort({ _id: 1 }).toArray()).toEqual([
      { _id: 1, email: 'same@x.io', n: 1 },
      { _id: 2, email: 'b@x.io', n: 2 },
    ]);
  });

  it('20 clients racing to insert the same 50 keys store each key exactly once', async () => {
    const coll = fresh();
    await coll.createIndex({ key: 1 }, { unique: true });
    const clients = await Promise.all(Array.from({ length: 20 }, () => connect(engine.server.uri)));
    const keys = Array.from({ length: 50 }, (_, i) => `k${i}`);
    const outcomes = await Promise.allSettled(
      clients.flatMap((c, clientIndex) =>
        keys.map((key) =>
          c
            .db(engine.db.databaseName)
            .collection<Doc>(coll.collectionName)
            .insertOne({ key, clientIndex }),
        ),
      ),
    );
    const fulfilled = outcomes.filter((o) => o.status === 'fulfilled');
    const rejected = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
    expect(fulfilled).toHaveLength(50);
    expect(rejected).toHaveLength(20 * 50 - 50);
    for (const outcome of rejected) expect((outcome.reason as MongoServerError).code).toBe(11000);
    expect(await coll.countDocuments()).toBe(50);
    expect([...(await coll.distinct('key'))].sort()).toEqual([...keys].sort());
  });

  it('createIndex unique over existing duplicates fails and creates no index', async () => {
    const coll = fresh();
    await coll.insertMany([{ email: 'dup@x.io' }, { email: 'dup@x.io' }, { email: 'ok@x.io' }]);
    const error = await rejection(coll.createIndex({ email: 1 }, { unique: true }));
    expect(error.code).toBe(11000);
    expect(error.message).toContain('E11000 duplicate key error');
    expect(error.message).toContain('dup key: { email: "dup@x.io" }');
    expect(await indexNames(coll)).toEqual(['_id_']);
    // Nothing half-built: a duplicate still goes in.
    await coll.insertOne({ email: 'ok@x.io' });
    expect(await coll.countDocuments({ email: 'ok@x.io' })).toBe(2);
  });

  it('unique without sparse allows only one document missing the field (missing = null)', async () => {
    const coll = fresh();
    await coll.createIndex({ sku: 1 }, { unique: true });
    await coll.insertOne({ name: 'first' });
    const error = await rejection(coll.insertOne({ name: 'second' }));
    expect(error.code).toBe(11000);
    expect(error.keyValue).toEqual({ sku: null });
  });

  it('sparse unique allows many documents without the field', async () => {
    const coll = fresh();
    await coll.createIndex({ sku: 1 }, { unique: true, sparse: true });
    await coll.insertMany([{ name: 'a' }, { name: 'b' }, { name: 'c' }]);
    await coll.insertOne({ sku: 'S1' });
    const error = await rejection(coll.insertOne({ sku: 'S1' }));
    expect(error.code).toBe(11000);
    // An explicit null is indexed even by a sparse index.
    await coll.insertOne({ sku: null });
    expect((await rejection(coll.insertOne({ sku: null }))).code).toBe(11000);
    expect(await coll.countDocuments()).toBe(5);
  });

  it('partialFilterExpression unique only constrains matching documents', async () => {
    const coll = fresh();
    await coll.createIndex(
      { email: 1 },
      { unique: true, partialFilterExpression: { active: true } },
    );
    await coll.insertMany([
      { email: 'x@x.io', active: false },
      { email: 'x@x.io', active: false },
      { email: 'x@x.io', active: true },
    ]);
    const error = await rejection(coll.insertOne({ email: 'x@x.io', active: true }));
    expect(error.code).toBe(11000);
    expect(await coll.countDocuments({ email: 'x@x.io' })).toBe(3);
    // Leaving the filter frees the key; entering it is checked.
    await coll.updateOne({ active: true }, { $set: { active: false } });
    await coll.insertOne({ email: 'x@x.io', active: true });
    const update = await rejection(coll.updateOne({ active: false }, { $set: { active: true } }));
    expect(update.code).toBe(11000);
  });

  it('unique index on an array field: each element is a key', async () => {
    const coll = fresh();
    await coll.createIndex({ tags: 1 }, { unique: true });
    await coll.insertOne({ tags: ['a', 'b'] });
    await coll.insertOne({ tags: ['c'] });
    const error = await rejection(coll.insertOne({ tags: ['x', 'b'] }));
    expect(error.code).toBe(11000);
    expect(error.keyValue).toEqual({ tags: 'b' });
  });
});

describe('index management', () => {
  it('listIndexes describes every index, _id first', async () => {
    const coll = fresh();
    await coll.insertOne({ a: 1 });
    await coll.createIndex({ a: 1 });
    await coll.createIndex({ b: -1, c: 1 }, { unique: true, name: 'bc' });
    await coll.createIndex({ d: 1 }, { sparse: true });
    const indexes = await coll.listIndexes().toArray();
    expect(indexes).toEqual([
      { v: 2, key: { _id: 1 }, name: '_id_' },
      { v: 2, key: { a: 1 }, name: 'a_1' },
      { v: 2, key: { b: -1, c: 1 }, name: 'bc', unique: true },
      { v: 2, key: { d: 1 }, name: 'd_1', sparse: true },
    ]);
    expect(await coll.indexExists('bc')).toBe(true);
    expect(await coll.indexExists('nope')).toBe(false);
  });

  it('createIndex returns the index name; creating it again is a no-op', async () => {
    const coll = fresh();
    expect(await coll.createIndex({ a: 1, b: -1 })).toBe('a_1_b_-1');
    expect(await coll.createIndex({ a: 1, b: -1 })).toBe('a_1_b_-1');
    const reply = await engine.db.command({
      createIndexes: coll.collectionName,
      indexes: [{ key: { a: 1, b: -1 }, name: 'a_1_b_-1' }],
    });
    expect(reply).toMatchObject({ ok: 1, numIndexesBefore: 2, numIndexesAfter: 2 });
    expect(reply.note).toBe('all indexes already exist');
    expect(await indexNames(coll)).toEqual(['_id_', 'a_1_b_-1']);
  });

  it('createIndexes on a missing collection creates it', async () => {
    const coll = fresh();
    const reply = await engine.db.command({
      createIndexes: coll.collectionName,
      indexes: [{ key: { x: 1 }, name: 'x_1' }],
    });
    expect(reply).toMatchObject({
      ok: 1,
      numIndexesBefore: 1,
      numIndexesAfter: 2,
      createdCollectionAutomatically: true,
    });
    const names = (await engine.db.listCollections({}, { nameOnly: true }).toArray()).map(
      (c) => c.name,
    );
    expect(names).toContain(coll.collectionName);
  });

  it('dropIndex by name and by key pattern', async () => {
    const coll = fresh();
    await coll.createIndex({ a: 1 });
    await coll.createIndex({ b: 1 });
    await coll.dropIndex('a_1');
    expect(await indexNames(coll)).toEqual(['_id_', 'b_1']);
    await engine.db.command({ dropIndexes: coll.collectionName, index: { b: 1 } });
    expect(await indexNames(coll)).toEqual(['_id_']);
  });

  it('dropIndexes("*") drops everything but _id', async () => {
    const coll = fresh();
    await coll.createIndexes([{ key: { a: 1 } }, { key: { b: 1 } }, { key: { c: 1 } }]);
    expect(await indexNames(coll)).toEqual(['_id_', 'a_1', 'b_1', 'c_1']);
    const reply = await engine.db.command({ dropIndexes: coll.collectionName, index: '*' });
    expect(reply).toMatchObject({ ok: 1, nIndexesWas: 4 });
    expect(await indexNames(coll)).toEqual(['_id_']);
    await coll.createIndex({ a: 1 });
    await coll.dropIndexes();
    expect(await indexNames(coll)).toEqual(['_id_']);
  });

  it('dropping an unknown index is IndexNotFound (27); the _id index cannot be dropped', async () => {
    const coll = fresh();
    await coll.insertOne({ a: 1 });
    const missing = await rejection(coll.dropIndex('nope_1'));
    expect(missing.code).toBe(27);
    expect(missing.codeName).toBe('IndexNotFound');
    const id = await rejection(coll.dropIndex('_id_'));
    expect(id.code).toBe(72);
    expect(await indexNames(coll)).toEqual(['_id_']);
  });

  it('same name, different key is IndexKeySpecsConflict (86)', async () => {
    const coll = fresh();
    await coll.createIndex({ a: 1 }, { name: 'my_index' });
    const error = await rejection(coll.createIndex({ b: 1 }, { name: 'my_index' }));
    expect(error.code).toBe(86);
    expect(error.codeName).toBe('IndexKeySpecsConflict');
  });

  it('same name and key with different options is IndexOptionsConflict (85)', async () => {
    const coll = fresh();
    await coll.createIndex({ at: 1 }, { expireAfterSeconds: 60 });
    const error = await rejection(coll.createIndex({ at: 1 }, { expireAfterSeconds: 120 }));
    expect(error.code).toBe(85);
    expect(error.codeName).toBe('IndexOptionsConflict');
  });

  it('the same key and options under another name is IndexOptionsConflict (85)', async () => {
    const coll = fresh();
    await coll.createIndex({ a: 1 });
    const error = await rejection(coll.createIndex({ a: 1 }, { name: 'other_name' }));
    expect(error.code).toBe(85);
    expect(error.message).toContain('Index already exists with a different name: a_1');
    expect(await indexNames(coll)).toEqual(['_id_', 'a_1']);
    // The _id index is the exception: asking for it again is a no-op.
    expect(await coll.createIndex({ _id: 1 })).toBe('_id_1');
    expect(await indexNames(coll)).toEqual(['_id_', 'a_1']);
  });

  it('TTL: removeExpiredDocuments deletes only documents past expireAfterSeconds', async () => {
    const coll = fresh();
    await coll.createIndex({ createdAt: 1 }, { expireAfterSeconds: 3600 });
    const listed = (await coll.listIndexes().toArray()).find((i) => i.name === 'createdAt_1');
    expect(listed?.expireAfterSeconds).toBe(3600);
    const now = Date.now();
    await coll.insertMany([
      { _id: 'old', createdAt: new Date(now - 2 * 3600 * 1000) },
      { _id: 'new', createdAt: new Date(now) },
      { _id: 'no-date', createdAt: 'yesterday' },
      { _id: 'missing' },
    ]);
    expect(engine.server.removeExpiredDocuments()).toBe(1);
    expect((await coll.find().sort({ _id: 1 }).toArray()).map((d) => d._id)).toEqual([
      'missing',
      'new',
      'no-date',
    ]);
    expect(engine.server.removeExpiredDocuments()).toBe(0);
  });

  it('TTL on an array of dates expires on the earliest date', async () => {
    const coll = fresh();
    await coll.createIndex({ at: 1 }, { expireAfterSeconds: 60 });
    const now = Date.now();
    await coll.insertMany([
      { _id: 1, at: [new Date(now), new Date(now - 3600 * 1000)] },
      { _id: 2, at: [new Date(now), new Date(now + 1000)] },
    ]);
    engine.server.removeExpiredDocuments();
    expect((await coll.find().toArray()).map((d) => d._id)).toEqual([2]);
  });
});

describe('counting through an index agrees with reading the documents', () => {
  it('for equality and $in filters on compound indexes, across inserts, updates and deletes', async () => {
    const coll = fresh();
    await coll.createIndex({ p: 1, s: 1, at: 1 });
    await coll.createIndex({ s: -1 });
    const statuses = ['TODO', 'DOING', 'DONE', 'BLOCKED'];
    let seed = 42;
    const random = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    // 3,000 documents: enough for a B+tree several levels deep; some numbers as doubles and
    // strings, a few without `s` (they must not be counted by an equality on `s`).
    await coll.insertMany(
      Array.from({ length: 3000 }, (_, i) => {
        const doc: Doc = { _id: i, p: random(5), at: i };
        if (i % 97 !== 0) doc.s = statuses[random(4)];
        if (i % 11 === 0) doc.p = random(5) + 0.5;
        if (i % 13 === 0) doc.p = String(random(5));
        return doc;
      }),
    );
    await coll.deleteMany({ at: { $gte: 1000, $lt: 1300 } });
    await coll.updateMany({ p: 2, s: 'TODO' }, { $set: { s: 'DONE' } });
    const filters: Document[] = [
      ...[0, 1, 2, 3, 4, 0.5, 1.5, '1', 'x'].flatMap((p) => [
        { p },
        ...statuses.map((s) => ({ p, s })),
        { p, s: { $in: ['TODO', 'DONE'] } },
      ]),
      ...statuses.map((s) => ({ s })),
      { s: { $eq: 'BLOCKED' } },
      { p: { $in: [1, 3, '2'] }, s: { $in: ['DOING', 'BLOCKED', 'nope'] } },
      // How services combine conditions (and a repeated field, which is not answered by keys).
      { $and: [{ p: 3 }, { s: 'DOING' }] },
      { $and: [{ p: 3 }, { $and: [{ s: { $in: ['DONE'] } }] }] },
      { $and: [{ p: 3 }, { p: 3 }] },
    ];
    for (const filter of filters) {
      // `$and` of the same filter is never answered from the index: the reference count.
      const expected = (await coll.find({ $and: [filter] }).toArray()).length;
      expect({ filter, count: await coll.countDocuments(filter) }).toEqual({
        filter,
        count: expected,
      });
      expect(await coll.countDocuments({ $and: [filter] })).toBe(expected);
    }
    // The legacy `count` command takes the same path.
    expect((await engine.db.command({ count: coll.collectionName, query: { p: 2 } })).n).toBe(
      (await coll.find({ $and: [{ p: 2 }] }).toArray()).length,
    );
  });
});

describe('range scans through an index agree with a collection scan', () => {
  it('open and closed ranges, on ascending and descending components, and keyset pages', async () => {
    const coll = fresh();
    await coll.createIndex({ r: 1, at: -1, _id: -1 });
    await coll.createIndex({ n: -1 });
    await coll.createIndex({ m: 1 });
    await coll.insertMany(
      Array.from({ length: 400 }, (_, i) => ({
        _id: i,
        r: i % 3,
        at: new Date(Date.UTC(2026, 0, 1) + (i % 50) * 60_000),
        n: i % 37,
        m: (i * 7) % 41,
      })),
    );
    const t = (minute: number): Date => new Date(Date.UTC(2026, 0, 1) + minute * 60_000);
    const filters: Document[] = [];
    for (const field of ['n', 'm']) {
      for (const op of ['$lt', '$lte', '$gt', '$gte']) filters.push({ [field]: { [op]: 20 } });
      filters.push({ [field]: { $gt: 5, $lt: 30 } }, { [field]: { $gte: 5, $lte: 5 } });
    }
    for (const op of ['$lt', '$lte', '$gt', '$gte']) filters.push({ r: 1, at: { [op]: t(25) } });
    // A newest-first keyset page: what comes after (r = 1, at = t(25), _id = 226).
    filters.push({
      $and: [{ r: 1 }, { $or: [{ at: { $lt: t(25) } }, { at: t(25), _id: { $lt: 226 } }] }],
    });
    for (const filter of filters) {
      const sort = { at: -1, _id: -1 } as const;
      // A hint of $natural reads every document: the reference answer.
      const expected = await coll.find(filter).sort(sort).hint({ $natural: 1 }).toArray();
      const indexed = await coll.find(filter).sort(sort).toArray();
      expect({ filter, ids: indexed.map((d) => d._id) }).toEqual({
        filter,
        ids: expected.map((d) => d._id),
      });
      expect(expected.length).toBeGreaterThan(0);
    }
  });
});

describe('index use (serverStatus metrics.queryExecutor)', () => {
  let coll: Collection<Doc>;

  /** Index keys (`scanned`) and documents (`scannedObjects`) examined while `run` runs. */
  async function examined(run: () => Promise<unknown>): Promise<{ keys: number; docs: number }> {
    const read = async (): Promise<{ keys: number; docs: number }> => {
      const status = await engine.db.admin().command({ serverStatus: 1 });
      const executor = status.metrics.queryExecutor as {
        scanned: unknown;
        scannedObjects: unknown;
      };
      return { keys: Number(executor.scanned), docs: Number(executor.scannedObjects) };
    };
    const before = await read();
    await run();
    const after = await read();
    return { keys: after.keys - before.keys, docs: after.docs - before.docs };
  }

  beforeAll(async () => {
    coll = fresh();
    const base = Date.UTC(2024, 0, 1);
    await coll.insertMany(
      Array.from({ length: 1000 }, (_, i) => ({
        _id: i,
        email: `user${i}@x.io`,
        name: `user${i}`,
        status: i % 4 === 0 ? 'a' : 'b',
        createdAt: new Date(base + i * 60_000),
        n: i,
      })),
    );
    await coll.createIndex({ email: 1 }, { unique: true });
    await coll.createIndex({ status: 1, createdAt: -1 });
    await coll.createIndex({ n: 1 });
  });

  it('findOne on an indexed field examines at most 2 documents', async () => {
    let found: Document | null = null;
    const work = await examined(async () => {
      found = await coll.findOne({ email: 'user777@x.io' });
    });
    expect(found).toMatchObject({ _id: 777 });
    expect(work.docs).toBeLessThanOrEqual(2);
    expect(work.docs).toBeGreaterThanOrEqual(1);
    expect(work.keys).toBeLessThanOrEqual(2);
  });

  it('a query on an unindexed field examines every document', async () => {
    let found: Document[] = [];
    const work = await examined(async () => {
      found = await coll.find({ name: 'user777' }).toArray();
    });
    expect(found.map((d) => d._id)).toEqual([777]);
    expect(work.docs).toBe(1000);
    expect(work.keys).toBe(0);
  });

  it('equality + sort + limit on a matching compound index examines about limit documents', async () => {
    let found: Document[] = [];
    const work = await examined(async () => {
      found = await coll.find({ status: 'a' }).sort({ createdAt: -1 }).limit(50).toArray();
    });
    expect(found).toHaveLength(50);
    expect(found.map((d) => d._id)).toEqual(Array.from({ length: 50 }, (_, i) => 996 - 4 * i));
    expect(work.docs).toBeGreaterThanOrEqual(50);
    expect(work.docs).toBeLessThanOrEqual(51);
    expect(work.keys).toBeLessThanOrEqual(51);
  });

  it('a range query on an indexed field examines only the range', async () => {
    let found: Document[] = [];
    const work = await examined(async () => {
      found = await coll.find({ n: { $gte: 100, $lt: 200 } }).toArray();
    });
    expect(found).toHaveLength(100);
    expect(work.docs).toBe(100);
    expect(work.keys).toBeGreaterThanOrEqual(100);
    expect(work.keys).toBeLessThanOrEqual(101);
  });

  it('$in on an indexed field examines only the listed keys', async () => {
    let found: Document[] = [];
    const work = await examined(async () => {
      found = await coll
        .find({ email: { $in: ['user1@x.io', 'user500@x.io', 'nobody@x.io'] } })
        .toArray();
    });
    expect(found.map((d) => d._id).sort((a, b) => a - b)).toEqual([1, 500]);
    expect(work.docs).toBe(2);
  });

  it('countDocuments on equalities of an index prefix counts index keys, examining no document', async () => {
    let counts: number[] = [];
    const work = await examined(async () => {
      counts = await Promise.all([
        coll.countDocuments({ status: 'a' }),
        coll.countDocuments({ status: { $in: ['a', 'b', 'c'] } }),
        coll.countDocuments({ n: 500 }),
        coll.countDocuments({ email: 'nobody@x.io' }),
        coll.countDocuments({ $and: [{ status: 'b' }] }),
      ]);
    });
    expect(counts).toEqual([250, 1000, 1, 0, 750]);
    expect(work.docs).toBe(0);
    expect(work.keys).toBe(0);
  });

  it('countDocuments with a condition the index cannot answer exactly still reads documents', async () => {
    let counts: number[] = [];
    const work = await examined(async () => {
      counts = await Promise.all([
        coll.countDocuments({ status: 'a', name: 'user4' }),
        coll.countDocuments({ n: { $gt: 995 } }),
      ]);
    });
    expect(counts).toEqual([1, 4]);
    expect(work.docs).toBeGreaterThan(0);
  });

  it('a sort on an indexed field with a limit reads only the first documents', async () => {
    let found: Document[] = [];
    const work = await examined(async () => {
      found = await coll.find().sort({ n: -1 }).limit(5).toArray();
    });
    expect(found.map((d) => d._id)).toEqual([999, 998, 997, 996, 995]);
    expect(work.docs).toBeLessThanOrEqual(6);
  });
});
