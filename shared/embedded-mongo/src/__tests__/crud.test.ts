import {
  MongoBulkWriteError,
  MongoServerError,
  type Collection,
  type CommandStartedEvent,
  type CommandSucceededEvent,
  type Document,
  type MongoClient,
} from 'mongodb';
import { type Doc, connect, rejection, useEngineDatabase } from './helpers/engine';

const engine = useEngineDatabase('crud', 'c');
const { fresh } = engine;

describe('insertOne / insertMany', () => {
  it('insertOne generates an ObjectId _id and the document reads back', async () => {
    const coll = fresh();
    const result = await coll.insertOne({ name: 'ada', age: 36 });
    expect(result.acknowledged).toBe(true);
    const stored = await coll.findOne({ _id: result.insertedId });
    expect(stored).toEqual({ _id: result.insertedId, name: 'ada', age: 36 });
    expect(result.insertedId.constructor.name).toBe('ObjectId');
  });

  it('insertMany inserts every document in order', async () => {
    const coll = fresh();
    const result = await coll.insertMany([{ _id: 1 }, { _id: 2 }, { _id: 3 }]);
    expect(result.insertedCount).toBe(3);
    expect(result.insertedIds).toEqual({ 0: 1, 1: 2, 2: 3 });
    expect(await coll.find().toArray()).toEqual([{ _id: 1 }, { _id: 2 }, { _id: 3 }]);
  });

  it('ordered insertMany stops at the duplicate in the middle', async () => {
    const coll = fresh();
    const docs = [{ _id: 1 }, { _id: 2 }, { _id: 1 }, { _id: 3 }, { _id: 4 }];
    const error = await rejection(coll.insertMany(docs));
    expect(error).toBeInstanceOf(MongoBulkWriteError);
    const bulk = error as MongoBulkWriteError;
    expect(bulk.code).toBe(11000);
    expect(bulk.insertedCount).toBe(2);
    const writeErrors = [bulk.writeErrors].flat();
    expect(writeErrors.map((e) => [e.index, e.code])).toEqual([[2, 11000]]);
    expect(await coll.find().sort({ _id: 1 }).toArray()).toEqual([{ _id: 1 }, { _id: 2 }]);
  });

  it('unordered insertMany inserts everything but the duplicate', async () => {
    const coll = fresh();
    const docs = [{ _id: 1 }, { _id: 2 }, { _id: 1 }, { _id: 3 }, { _id: 2 }, { _id: 4 }];
    const error = await rejection(coll.insertMany(docs, { ordered: false }));
    const bulk = error as MongoBulkWriteError;
    expect(bulk.insertedCount).toBe(4);
    const writeErrors = [bulk.writeErrors].flat();
    expect(writeErrors.map((e) => [e.index, e.code])).toEqual([
      [2, 11000],
      [4, 11000],
    ]);
    expect(await coll.find().sort({ _id: 1 }).toArray()).toEqual([
      { _id: 1 },
      { _id: 2 },
      { _id: 3 },
      { _id: 4 },
    ]);
  });

  it('moves _id to the front of the stored document', async () => {
    const coll = fresh();
    await coll.insertOne({ b: 1, _id: 'x', a: 2 });
    const stored = await coll.findOne({ _id: 'x' });
    expect(Object.keys(stored ?? {})).toEqual(['_id', 'b', 'a']);
  });
});

describe('find', () => {
  let people: Collection<Doc>;

  beforeAll(async () => {
    people = fresh();
    await people.insertMany([
      {
        _id: 1,
        name: 'ann',
        age: 31,
        city: 'Oslo',
        address: { city: 'Oslo', zip: '0150', street: 'Main' },
        tags: ['a', 'b', 'c', 'd'],
        grades: [70, 88, 95],
        items: [
          { id: 1, qty: 5 },
          { id: 2, qty: 7 },
        ],
        secret: 's1',
      },
      {
        _id: 2,
        name: 'bob',
        age: 25,
        city: 'Bergen',
        address: { city: 'Bergen', zip: '5003', street: 'Side' },
        tags: ['b'],
        grades: [90, 60],
        items: [{ id: 3, qty: 1 }],
        secret: 's2',
      },
      {
        _id: 3,
        name: 'cid',
        age: 42,
        city: 'Oslo',
        address: { city: 'Oslo', zip: '0151', street: 'Hill' },
        tags: [],
        grades: [50],
        items: [
          { id: 2, qty: 9 },
          { id: 4, qty: 2 },
        ],
        secret: 's3',
      },
      {
        _id: 4,
        name: 'dee',
        age: 25,
        city: 'Tromsø',
        address: { city: 'Tromsø', zip: '9008', street: 'Bay' },
        tags: ['c', 'a'],
        grades: [85, 99],
        items: [],
        secret: 's4',
      },
    ]);
  });

  const ids = (docs: Document[]): unknown[] => docs.map((d) => d._id);

  it('filters with equality, ranges, $in, dotted paths and array membership', async () => {
    expect(ids(await people.find({ city: 'Oslo' }).toArray())).toEqual([1, 3]);
    expect(ids(await people.find({ age: { $gte: 30 } }).toArray())).toEqual([1, 3]);
    expect(ids(await people.find({ name: { $in: ['bob', 'dee', 'zed'] } }).toArray())).toEqual([
      2, 4,
    ]);
    expect(ids(await people.find({ 'address.zip': '5003' }).toArray())).toEqual([2]);
    expect(ids(await people.find({ tags: 'a' }).toArray())).toEqual([1, 4]);
    expect(ids(await people.find({ 'items.id': 2 }).toArray())).toEqual([1, 3]);
    expect(ids(await people.find({ grades: { $elemMatch: { $gt: 90 } } }).toArray())).toEqual([
      1, 4,
    ]);
    expect(ids(await people.find({ $or: [{ age: 25 }, { name: 'cid' }] }).toArray())).toEqual([
      2, 3, 4,
    ]);
    expect(await people.find({ name: 'nobody' }).toArray()).toEqual([]);
  });

  it('sorts on one and several keys, including dotted paths', async () => {
    expect(ids(await people.find().sort({ age: 1, name: -1 }).toArray())).toEqual([4, 2, 1, 3]);
    expect(ids(await people.find().sort({ 'address.zip': -1 }).toArray())).toEqual([4, 2, 3, 1]);
  });

  it('skips and limits after sorting', async () => {
    const page = await people.find().sort({ age: -1 }).skip(1).limit(2).toArray();
    expect(ids(page)).toEqual([1, 2]);
    expect(ids(await people.find().sort({ _id: 1 }).skip(3).toArray())).toEqual([4]);
    expect(await people.find().skip(10).toArray()).toEqual([]);
  });

  it('inclusion projection keeps _id and the listed (dotted) fields in document order', async () => {
    const doc = await people.findOne({ _id: 1 }, { projection: { 'address.city': 1, name: 1 } });
    expect(doc).toEqual({ _id: 1, name: 'ann', address: { city: 'Oslo' } });
    expect(Object.keys(doc ?? {})).toEqual(['_id', 'name', 'address']);
  });

  it('inclusion projection with _id: 0', async () => {
    const docs = await people
      .find({ age: 25 }, { projection: { _id: 0, name: 1 } })
      .sort({ name: 1 })
      .toArray();
    expect(docs).toEqual([{ name: 'bob' }, { name: 'dee' }]);
  });

  it('exclusion projection drops the listed (dotted) fields only', async () => {
    const doc = await people.findOne(
      { _id: 2 },
      { projection: { secret: 0, 'address.zip': 0, items: 0, grades: 0, tags: 0 } },
    );
    expect(doc).toEqual({
      _id: 2,
      name: 'bob',
      age: 25,
      city: 'Bergen',
      address: { city: 'Bergen', street: 'Side' },
    });
    const noId = await people.findOne({ _id: 2 }, { projection: { _id: 0, secret: 0 } });
    expect(noId).not.toHaveProperty('_id');
    expect(noId).not.toHaveProperty('secret');
    expect(noId).toHaveProperty('name', 'bob');
  });

  it('$slice projection: first n, last n, [skip, limit]', async () => {
    const first = await people.findOne({ _id: 1 }, { projection: { tags: { $slice: 2 } } });
    expect(first?.tags).toEqual(['a', 'b']);
    // $slice alone is an exclusion-style projection: the other fields stay.
    expect(first?.name).toBe('ann');
    const last = await people.findOne({ _id: 1 }, { projection: { tags: { $slice: -1 } } });
    expect(last?.tags).toEqual(['d']);
    const middle = await people.findOne({ _id: 1 }, { projection: { tags: { $slice: [1, 2] } } });
    expect(middle?.tags).toEqual(['b', 'c']);
    const withInclusion = await people.findOne(
      { _id: 1 },
      { projection: { name: 1, tags: { $slice: 1 } } },
    );
    expect(withInclusion).toEqual({ _id: 1, name: 'ann', tags: ['a'] });
  });

  it('$slice on a dotted path inside an inclusion projection', async () => {
    const coll = fresh();
    await coll.insertOne({
      _id: 1,
      qty: 100,
      details: { colors: ['blue', 'red'], sizes: ['S', 'M', 'L'] },
    });
    const doc = await coll.findOne({}, { projection: { qty: 1, 'details.colors': { $slice: 1 } } });
    expect(doc).toEqual({ _id: 1, qty: 100, details: { colors: ['blue'] } });
    const exclusion = await coll.findOne({}, { projection: { 'details.colors': { $slice: -1 } } });
    expect(exclusion).toEqual({
      _id: 1,
      qty: 100,
      details: { colors: ['red'], sizes: ['S', 'M', 'L'] },
    });
  });

  it('$elemMatch projection returns the first matching element only', async () => {
    const doc = await people.findOne(
      { _id: 3 },
      { projection: { items: { $elemMatch: { qty: { $lt: 5 } } } } },
    );
    expect(doc).toEqual({ _id: 3, items: [{ id: 4, qty: 2 }] });
    const scalars = await people.findOne(
      { _id: 1 },
      { projection: { grades: { $elemMatch: { $gte: 80 } } } },
    );
    expect(scalars).toEqual({ _id: 1, grades: [88] });
    const none = await people.findOne(
      { _id: 2 },
      { projection: { items: { $elemMatch: { qty: { $gt: 100 } } } } },
    );
    expect(none).toEqual({ _id: 2 });
  });

  it('positional projection arr.$ returns the element the query matched', async () => {
    const docs = await people
      .find({ grades: { $gte: 85 } }, { projection: { 'grades.$': 1 } })
      .sort({ _id: 1 })
      .toArray();
    expect(docs).toEqual([
      { _id: 1, grades: [88] },
      { _id: 2, grades: [90] },
      { _id: 4, grades: [85] },
    ]);
    const items = await people
      .find({ 'items.id': 2 }, { projection: { _id: 0, 'items.$': 1 } })
      .sort({ _id: 1 })
      .toArray();
    expect(items).toEqual([{ items: [{ id: 2, qty: 7 }] }, { items: [{ id: 2, qty: 9 }] }]);
  });
});

describe('cursors', () => {
  let coll: Collection<Doc>;
  let monitored: MongoClient;
  const started: CommandStartedEvent[] = [];
  const succeeded: CommandSucceededEvent[] = [];

  beforeAll(async () => {
    coll = fresh();
    await coll.insertMany(Array.from({ length: 250 }, (_, i) => ({ _id: i, n: i })));
    monitored = await connect(engine.server.uri, { monitorCommands: true });
    monitored.on('commandStarted', (event) => started.push(event));
    monitored.on('commandSucceeded', (event) => succeeded.push(event));
  });

  beforeEach(() => {
    started.length = 0;
    succeeded.length = 0;
  });

  const mcoll = (): Collection<Doc> =>
    monitored.db(engine.db.databaseName).collection<Doc>(coll.collectionName);
  const replies = (name: string): Document[] =>
    succeeded.filter((e) => e.commandName === name).map((e) => e.reply as Document);

  it('returns 250 documents in order through getMore with batchSize 50', async () => {
    const docs = await mcoll().find().sort({ _id: 1 }).batchSize(50).toArray();
    expect(docs.map((d) => d._id)).toEqual(Array.from({ length: 250 }, (_, i) => i));
    expect(replies('find')[0]?.cursor.firstBatch).toHaveLength(50);
    const getMores = replies('getMore');
    expect(getMores.length).toBeGreaterThanOrEqual(4);
    expect(getMores.length).toBeLessThanOrEqual(5);
    for (const reply of getMores) expect(reply.cursor.nextBatch.length).toBeLessThanOrEqual(50);
    const last = getMores[getMores.length - 1] as Document;
    expect(last.cursor.id.toString()).toBe('0');
  });

  it('close() mid-way kills the server cursor: a later getMore is CursorNotFound (43)', async () => {
    const cursor = mcoll().find().sort({ _id: 1 }).batchSize(50);
    for (let i = 0; i < 60; i++) await cursor.next();
    const id = cursor.id;
    expect(id).toBeDefined();
    expect(id?.isZero()).toBe(false);
    await cursor.close();
    expect(started.some((e) => e.commandName === 'killCursors')).toBe(true);
    const error = await rejection(
      engine.db.command({ getMore: id, collection: coll.collectionName, batchSize: 10 }),
    );
    expect(error).toBeInstanceOf(MongoServerError);
    expect(error.code).toBe(43);
    expect(error.codeName).toBe('CursorNotFound');
  });

  it('the first batch holds 101 documents when no batchSize is given', async () => {
    const docs = await mcoll().find().toArray();
    expect(docs).toHaveLength(250);
    expect(replies('find')[0]?.cursor.firstBatch).toHaveLength(101);
    const rest = replies('getMore').reduce((t, r) => t + r.cursor.nextBatch.length, 0);
    expect(rest).toBe(149);
  });

  it('limit caps the total across batches', async () => {
    const docs = await mcoll().find().sort({ _id: 1 }).limit(30).batchSize(10).toArray();
    expect(docs.map((d) => d._id)).toEqual(Array.from({ length: 30 }, (_, i) => i));
    expect(replies('find')[0]?.cursor.firstBatch).toHaveLength(10);
    const total = replies('getMore').reduce((t, r) => t + r.cursor.nextBatch.length, 0);
    expect(total).toBe(20);
  });

  it('a limit no larger than batchSize comes back in one batch with no open cursor', async () => {
    const docs = await mcoll().find().sort({ _id: -1 }).limit(5).batchSize(10).toArray();
    expect(docs.map((d) => d._id)).toEqual([249, 248, 247, 246, 245]);
    const [reply] = replies('find');
    expect(reply?.cursor.firstBatch).toHaveLength(5);
    expect(reply?.cursor.id.toString()).toBe('0');
    expect(replies('getMore')).toHaveLength(0);
  });

  it('find on a collection that does not exist returns nothing', async () => {
    expect(await engine.db.collection<Doc>('never_created').find({ a: 1 }).toArray()).toEqual([]);
    expect(await engine.db.collection<Doc>('never_created').findOne()).toBeNull();
  });
});

describe('updates', () => {
  it('updateOne reports matched and modified counts', async () => {
    const coll = fresh();
    await coll.insertMany([
      { _id: 1, n: 1 },
      { _id: 2, n: 1 },
    ]);
    const result = await coll.updateOne({ n: 1 }, { $inc: { n: 10 } });
    expect(result).toMatchObject({ matchedCount: 1, modifiedCount: 1, upsertedCount: 0 });
    expect(result.upsertedId).toBeNull();
    expect(await coll.countDocuments({ n: 11 })).toBe(1);
    const none = await coll.updateOne({ n: 99 }, { $set: { x: 1 } });
    expect(none).toMatchObject({ matchedCount: 0, modifiedCount: 0 });
  });

  it('a no-op update matches but modifies nothing', async () => {
    const coll = fresh();
    await coll.insertOne({ _id: 1, status: 'a' });
    const result = await coll.updateOne({ _id: 1 }, { $set: { status: 'a' } });
    expect(result).toMatchObject({ matchedCount: 1, modifiedCount: 0 });
  });

  it('updateMany updates every match and counts the ones that changed', async () => {
    const coll = fresh();
    await coll.insertMany([
      { _id: 1, status: 'a', flag: true },
      { _id: 2, status: 'a' },
      { _id: 3, status: 'a' },
      { _id: 4, status: 'b' },
    ]);
    const result = await coll.updateMany({ status: 'a' }, { $set: { flag: true } });
    expect(result).toMatchObject({ matchedCount: 3, modifiedCount: 2 });
    expect(await coll.countDocuments({ flag: true })).toBe(3);
    expect(await coll.findOne({ _id: 4 })).toEqual({ _id: 4, status: 'b' });
  });

  it('an own __proto__ field is data: insert and $set both store it, and updates keep it', async () => {
    // JSON.parse makes `__proto__` an own field (an object literal would set the prototype);
    // MongoDB stores it as a field like any other.
    const ownProto = (doc: unknown): unknown =>
      Object.getOwnPropertyDescriptor(doc, '__proto__')?.value;
    const coll = fresh();
    await coll.insertOne({ _id: 1, nested: JSON.parse('{"__proto__": {"x": 1}, "y": 2}') });
    await coll.updateOne({ _id: 1 }, { $set: JSON.parse('{"__proto__": "top", "n": 1}') });
    const stored = await coll.findOne({ _id: 1 });
    expect(Object.keys(stored ?? {})).toEqual(['_id', 'nested', '__proto__', 'n']);
    expect(ownProto(stored)).toBe('top');
    expect(Object.keys(stored?.nested)).toEqual(['__proto__', 'y']);
    expect(ownProto(stored?.nested)).toEqual({ x: 1 });

    await coll.updateOne(
      { _id: 1 },
      { $set: { 'nested.y': 3, deep: JSON.parse('{"__proto__": 7}') } },
    );
    const updated = await coll.findOne({ _id: 1 });
    expect(ownProto(updated)).toBe('top');
    expect(ownProto(updated?.nested)).toEqual({ x: 1 });
    expect(updated?.nested.y).toBe(3);
    expect(ownProto(updated?.deep)).toBe(7);
  });

  it('replaceOne replaces the whole document but keeps _id', async () => {
    const coll = fresh();
    await coll.insertOne({ _id: 1, a: 1, b: 2 });
    const result = await coll.replaceOne({ _id: 1 }, { c: 3 });
    expect(result).toMatchObject({ matchedCount: 1, modifiedCount: 1 });
    expect(await coll.findOne({ _id: 1 })).toEqual({ _id: 1, c: 3 });
    const same = await coll.replaceOne({ _id: 1 }, { c: 3 });
    expect(same).toMatchObject({ matchedCount: 1, modifiedCount: 0 });
  });

  it('applies common update operators', async () => {
    const coll = fresh();
    await coll.insertOne({
      _id: 1,
      n: 5,
      tags: ['a'],
      gone: 1,
      old: 'v',
      nested: { x: 1 },
      lo: 5,
    });
    await coll.updateOne({ _id: 1 }, {
      $inc: { n: 2 },
      $mul: { 'nested.x': 3 },
      $push: { tags: 'b' },
      $addToSet: { set: 'x' },
      $unset: { gone: '' },
      $rename: { old: 'renamed' },
      $min: { lo: 2 },
    } as Document);
    expect(await coll.findOne({ _id: 1 })).toEqual({
      _id: 1,
      n: 7,
      tags: ['a', 'b'],
      nested: { x: 3 },
      lo: 2,
      renamed: 'v',
      set: ['x'],
    });
  });

  it('refuses two operators on the same path (ConflictingUpdateOperators, 40)', async () => {
    const coll = fresh();
    await coll.insertOne({ _id: 1, n: 5 });
    const error = await rejection(coll.updateOne({ _id: 1 }, { $inc: { n: 1 }, $set: { n: 0 } }));
    expect(error.code).toBe(40);
    expect(error.message).toBe("Updating the path 'n' would create a conflict at 'n'");
    expect(await coll.findOne({ _id: 1 })).toEqual({ _id: 1, n: 5 });
  });
});

describe('deletes', () => {
  it('deleteOne removes one match, deleteMany removes all', async () => {
    const coll = fresh();
    await coll.insertMany([
      { _id: 1, k: 'x' },
      { _id: 2, k: 'x' },
      { _id: 3, k: 'x' },
      { _id: 4, k: 'y' },
    ]);
    expect((await coll.deleteOne({ k: 'x' })).deletedCount).toBe(1);
    expect(await coll.countDocuments({ k: 'x' })).toBe(2);
    expect((await coll.deleteMany({ k: 'x' })).deletedCount).toBe(2);
    expect((await coll.deleteMany({ k: 'x' })).deletedCount).toBe(0);
    expect(await coll.find().toArray()).toEqual([{ _id: 4, k: 'y' }]);
  });

  it('deleteMany({}) empties the collection', async () => {
    const coll = fresh();
    await coll.insertMany([{ a: 1 }, { a: 2 }]);
    expect((await coll.deleteMany({})).deletedCount).toBe(2);
    expect(await coll.countDocuments()).toBe(0);
  });
});

describe('findOneAndUpdate / findOneAndReplace / findOneAndDelete', () => {
  let coll: Collection<Doc>;

  beforeEach(async () => {
    coll = fresh();
    await coll.insertMany([
      { _id: 1, status: 'a', n: 10 },
      { _id: 2, status: 'a', n: 30 },
      { _id: 3, status: 'a', n: 20 },
      { _id: 4, status: 'b', n: 40 },
    ]);
  });

  it('returns the document before the update by default', async () => {
    const before = await coll.findOneAndUpdate({ _id: 1 }, { $inc: { n: 1 } });
    expect(before).toEqual({ _id: 1, status: 'a', n: 10 });
    expect(await coll.findOne({ _id: 1 })).toEqual({ _id: 1, status: 'a', n: 11 });
  });

  it('returnDocument: after returns the updated document', async () => {
    const after = await coll.findOneAndUpdate(
      { _id: 1 },
      { $inc: { n: 1 } },
      { returnDocument: 'after' },
    );
    expect(after).toEqual({ _id: 1, status: 'a', n: 11 });
  });

  it('sort picks which document is updated, projection shapes the result', async () => {
    const top = await coll.findOneAndUpdate(
      { status: 'a' },
      { $set: { picked: true } },
      { sort: { n: -1 }, returnDocument: 'after', projection: { _id: 1, picked: 1 } },
    );
    expect(top).toEqual({ _id: 2, picked: true });
    const low = await coll.findOneAndUpdate(
      { status: 'a' },
      { $set: { low: true } },
      { sort: { n: 1 }, projection: { _id: 0, n: 1 } },
    );
    expect(low).toEqual({ n: 10 });
    expect(await coll.findOne({ low: true })).toMatchObject({ _id: 1 });
  });

  it('returns null when nothing matches and upsert is off', async () => {
    expect(await coll.findOneAndUpdate({ status: 'z' }, { $set: { x: 1 } })).toBeNull();
    expect(await coll.countDocuments()).toBe(4);
  });

  it('upserts: after returns the inserted document, before returns null', async () => {
    const inserted = await coll.findOneAndUpdate(
      { status: 'new', n: 1 },
      { $set: { extra: true } },
      { upsert: true, returnDocument: 'after' },
    );
    expect(inserted).toMatchObject({ status: 'new', n: 1, extra: true });
    expect(inserted?._id).toBeDefined();
    const before = await coll.findOneAndUpdate(
      { status: 'newer' },
      { $set: { extra: true } },
      { upsert: true, returnDocument: 'before' },
    );
    expect(before).toBeNull();
    expect(await coll.countDocuments({ status: 'newer', extra: true })).toBe(1);
  });

  it('findOneAndReplace replaces the first document in sort order', async () => {
    const before = await coll.findOneAndReplace(
      { status: 'a' },
      { status: 'replaced' },
      { sort: { n: -1 } },
    );
    expect(before).toEqual({ _id: 2, status: 'a', n: 30 });
    expect(await coll.findOne({ _id: 2 })).toEqual({ _id: 2, status: 'replaced' });
    const after = await coll.findOneAndReplace(
      { _id: 3 },
      { status: 'r3', n: 0 },
      { returnDocument: 'after', projection: { _id: 0 } },
    );
    expect(after).toEqual({ status: 'r3', n: 0 });
  });

  it('findOneAndReplace with upsert inserts the replacement', async () => {
    const after = await coll.findOneAndReplace(
      { _id: 99 },
      { status: 'up' },
      { upsert: true, returnDocument: 'after' },
    );
    expect(after).toEqual({ _id: 99, status: 'up' });
  });

  it('findOneAndDelete removes and returns the first document in sort order', async () => {
    const removed = await coll.findOneAndDelete({ status: 'a' }, { sort: { n: 1 } });
    expect(removed).toEqual({ _id: 1, status: 'a', n: 10 });
    const projected = await coll.findOneAndDelete(
      { status: 'a' },
      { sort: { n: -1 }, projection: { n: 1, _id: 0 } },
    );
    expect(projected).toEqual({ n: 30 });
    expect((await coll.find().sort({ _id: 1 }).toArray()).map((d) => d._id)).toEqual([3, 4]);
    expect(await coll.findOneAndDelete({ status: 'zzz' })).toBeNull();
  });
});

describe('counting and distinct', () => {
  let coll: Collection<Doc>;

  beforeAll(async () => {
    coll = fresh();
    await coll.insertMany([
      { _id: 1, k: 'x', tags: ['a', 'b'], addr: { city: 'Oslo' }, n: 1 },
      { _id: 2, k: 'x', tags: ['b', 'c'], addr: { city: 'Bergen' }, n: 2 },
      { _id: 3, k: 'y', tags: 'd', addr: { city: 'Oslo' }, n: 1 },
      { _id: 4, k: 'y', n: 3 },
      { _id: 5, k: 'z', tags: [], n: 2.5 },
    ]);
  });

  it('countDocuments with filter, skip and limit; estimatedDocumentCount', async () => {
    expect(await coll.countDocuments()).toBe(5);
    expect(await coll.countDocuments({ k: 'x' })).toBe(2);
    expect(await coll.countDocuments({ k: 'nope' })).toBe(0);
    expect(await coll.countDocuments({}, { skip: 2 })).toBe(3);
    expect(await coll.countDocuments({}, { skip: 1, limit: 2 })).toBe(2);
    expect(await coll.estimatedDocumentCount()).toBe(5);
    expect(await engine.db.collection<Doc>('never_created').countDocuments()).toBe(0);
    expect(await engine.db.collection<Doc>('never_created').estimatedDocumentCount()).toBe(0);
  });

  it('distinct flattens arrays and dedupes', async () => {
    const tags = await coll.distinct('tags');
    expect([...tags].sort()).toEqual(['a', 'b', 'c', 'd']);
    const ks = await coll.distinct('k');
    expect([...ks].sort()).toEqual(['x', 'y', 'z']);
  });

  it('distinct with a query and on a dotted path', async () => {
    expect([...(await coll.distinct('tags', { k: 'x' }))].sort()).toEqual(['a', 'b', 'c']);
    expect([...(await coll.distinct('addr.city'))].sort()).toEqual(['Bergen', 'Oslo']);
    const numbers = await coll.distinct('n');
    expect([...numbers].sort((a, b) => a - b)).toEqual([1, 2, 2.5, 3]);
    expect(await engine.db.collection<Doc>('never_created').distinct('k')).toEqual([]);
  });
});

describe('upserts', () => {
  it('updateOne upsert builds the document from equality fields, $set and $setOnInsert', async () => {
    const coll = fresh();
    const result = await coll.updateOne(
      { sku: 'abc', 'dims.w': 10, qty: { $gt: 5 }, $and: [{ color: 'red' }] },
      { $set: { price: 9 }, $setOnInsert: { createdBy: 'upsert' } },
      { upsert: true },
    );
    expect(result).toMatchObject({ matchedCount: 0, modifiedCount: 0, upsertedCount: 1 });
    const id = result.upsertedId;
    if (id === null) throw new Error('expected an upserted _id');
    const doc = await coll.findOne({ _id: id });
    expect(doc).toEqual({
      _id: id,
      sku: 'abc',
      dims: { w: 10 },
      color: 'red',
      price: 9,
      createdBy: 'upsert',
    });
  });

  it('$setOnInsert is not applied when the upsert matches', async () => {
    const coll = fresh();
    await coll.insertOne({ _id: 1, sku: 'abc', price: 1 });
    const result = await coll.updateOne(
      { sku: 'abc' },
      { $set: { price: 2 }, $setOnInsert: { createdBy: 'upsert' } },
      { upsert: true },
    );
    expect(result).toMatchObject({ matchedCount: 1, modifiedCount: 1, upsertedCount: 0 });
    expect(result.upsertedId).toBeNull();
    expect(await coll.findOne({ _id: 1 })).toEqual({ _id: 1, sku: 'abc', price: 2 });
  });

  it('an upsert with _id in the filter uses that _id', async () => {
    const coll = fresh();
    const result = await coll.updateOne({ _id: 'fixed' }, { $inc: { hits: 1 } }, { upsert: true });
    expect(result.upsertedId).toBe('fixed');
    await coll.updateOne({ _id: 'fixed' }, { $inc: { hits: 1 } }, { upsert: true });
    expect(await coll.find().toArray()).toEqual([{ _id: 'fixed', hits: 2 }]);
  });

  it('replaceOne upsert inserts the replacement with filter _id', async () => {
    const coll = fresh();
    const result = await coll.replaceOne({ _id: 7 }, { name: 'seven' }, { upsert: true });
    expect(result).toMatchObject({ upsertedCount: 1, upsertedId: 7, matchedCount: 0 });
    expect(await coll.findOne({ _id: 7 })).toEqual({ _id: 7, name: 'seven' });
    const again = await coll.replaceOne({ _id: 7 }, { name: 'SEVEN' }, { upsert: true });
    expect(again).toMatchObject({ upsertedCount: 0, matchedCount: 1, modifiedCount: 1 });
    expect(await coll.countDocuments()).toBe(1);
  });

  it('replaceOne upsert without _id in the filter generates one', async () => {
    const coll = fresh();
    const result = await coll.replaceOne({ name: 'x' }, { name: 'x', v: 1 }, { upsert: true });
    expect(result.upsertedId).toBeDefined();
    expect(result.upsertedId?.constructor.name).toBe('ObjectId');
    expect(await coll.findOne({ name: 'x' })).toEqual({ _id: result.upsertedId, name: 'x', v: 1 });
  });

  it('updateMany upsert inserts one document', async () => {
    const coll = fresh();
    const result = await coll.updateMany({ group: 'g' }, { $set: { on: true } }, { upsert: true });
    expect(result.upsertedCount).toBe(1);
    expect(await coll.find({}, { projection: { _id: 0 } }).toArray()).toEqual([
      { group: 'g', on: true },
    ]);
  });
});

describe('positional updates and arrayFilters', () => {
  it('$ updates the element matched by the query', async () => {
    const coll = fresh();
    await coll.insertOne({
      _id: 1,
      items: [
        { id: 1, qty: 1 },
        { id: 2, qty: 2 },
        { id: 3, qty: 3 },
      ],
    });
    const result = await coll.updateOne(
      { _id: 1, 'items.id': 2 },
      {
        $set: { 'items.$.qty': 20 },
      },
    );
    expect(result.modifiedCount).toBe(1);
    expect((await coll.findOne({ _id: 1 }))?.items).toEqual([
      { id: 1, qty: 1 },
      { id: 2, qty: 20 },
      { id: 3, qty: 3 },
    ]);
  });

  it('$ on an array of scalars', async () => {
    const coll = fresh();
    await coll.insertOne({ _id: 1, grades: [80, 85, 90] });
    await coll.updateOne({ _id: 1, grades: 85 }, { $inc: { 'grades.$': 5 } });
    expect((await coll.findOne({ _id: 1 }))?.grades).toEqual([80, 90, 90]);
  });

  it('$[] updates every element', async () => {
    const coll = fresh();
    await coll.insertOne({
      _id: 1,
      items: [{ qty: 1 }, { qty: 2 }],
      scores: [1, 2, 3],
    });
    await coll.updateOne(
      { _id: 1 },
      {
        $inc: { 'items.$[].qty': 10, 'scores.$[]': 100 },
      },
    );
    expect(await coll.findOne({ _id: 1 })).toEqual({
      _id: 1,
      items: [{ qty: 11 }, { qty: 12 }],
      scores: [101, 102, 103],
    });
  });

  it('$[elem] with arrayFilters updates only the matching elements', async () => {
    const coll = fresh();
    await coll.insertMany([
      {
        _id: 1,
        grades: [
          { grade: 80, mean: 75 },
          { grade: 85, mean: 90 },
          { grade: 90, mean: 85 },
        ],
      },
      { _id: 2, grades: [{ grade: 70, mean: 60 }] },
    ]);
    const result = await coll.updateMany(
      {},
      { $set: { 'grades.$[elem].mean': 100 } },
      { arrayFilters: [{ 'elem.grade': { $gte: 85 } }] },
    );
    expect(result).toMatchObject({ matchedCount: 2, modifiedCount: 1 });
    expect(await coll.find().sort({ _id: 1 }).toArray()).toEqual([
      {
        _id: 1,
        grades: [
          { grade: 80, mean: 75 },
          { grade: 85, mean: 100 },
          { grade: 90, mean: 100 },
        ],
      },
      { _id: 2, grades: [{ grade: 70, mean: 60 }] },
    ]);
  });

  it('nested $[outer].inner.$[x] with two array filters', async () => {
    const coll = fresh();
    await coll.insertOne({
      _id: 1,
      orders: [
        {
          status: 'open',
          lines: [
            { sku: 'a', qty: 1 },
            { sku: 'b', qty: 2 },
          ],
        },
        { status: 'closed', lines: [{ sku: 'a', qty: 3 }] },
      ],
    });
    await coll.updateOne(
      { _id: 1 },
      { $inc: { 'orders.$[o].lines.$[l].qty': 10 } },
      { arrayFilters: [{ 'o.status': 'open' }, { 'l.sku': 'a' }] },
    );
    expect((await coll.findOne({ _id: 1 }))?.orders).toEqual([
      {
        status: 'open',
        lines: [
          { sku: 'a', qty: 11 },
          { sku: 'b', qty: 2 },
        ],
      },
      { status: 'closed', lines: [{ sku: 'a', qty: 3 }] },
    ]);
  });

  it('$[] nested inside $[elem] and scalar array filters', async () => {
    const coll = fresh();
    await coll.insertOne({
      _id: 1,
      m: [
        [1, 5],
        [7, 2],
      ],
      s: [3, 8, 10],
    });
    await coll.updateOne(
      { _id: 1 },
      { $set: { 'm.$[].$[big]': 0, 's.$[small]': -1 } },
      { arrayFilters: [{ big: { $gte: 5 } }, { small: { $lt: 9 } }] },
    );
    expect(await coll.findOne({ _id: 1 })).toEqual({
      _id: 1,
      m: [
        [1, 0],
        [0, 2],
      ],
      s: [-1, -1, 10],
    });
  });

  it('an arrayFilters identifier without a matching filter is refused', async () => {
    const coll = fresh();
    await coll.insertOne({ _id: 1, a: [1] });
    const error = await rejection(coll.updateOne({ _id: 1 }, { $set: { 'a.$[x]': 2 } }));
    expect(error.code).toBe(2);
    expect(error.message).toBe("No array filter found for identifier 'x' in path 'a.$[x]'");
  });
});
