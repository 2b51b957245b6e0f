import { Binary, DBRef, Int32, Long, ObjectId, type Collection, type Document } from 'mongodb';
import { type Doc, rejection, useEngineDatabase } from './helpers/engine';

/**
 * Answers MongoDB documents for queries where an in-memory matcher easily answers differently.
 * Each expectation cites the rule of the MongoDB manual it checks.
 */

const { fresh } = useEngineDatabase('semantics', 's');

async function ids(coll: Collection<Doc>, filter: Document): Promise<unknown[]> {
  const docs = await coll.find(filter).sort({ _id: 1 }).toArray();
  return docs.map((doc) => doc._id);
}

describe('projection', () => {
  it('{_id: 1} alone returns only _id ("_id: 1" is an inclusion projection)', async () => {
    const coll = fresh();
    await coll.insertOne({ _id: 1, a: 1, b: { c: 2 } });
    expect(await coll.findOne({}, { projection: { _id: 1 } })).toEqual({ _id: 1 });
    expect(await coll.findOne({}, { projection: { _id: true } })).toEqual({ _id: 1 });
    // Beside an exclusion it stays an exclusion projection.
    expect(await coll.findOne({}, { projection: { _id: 1, a: 0 } })).toEqual({
      _id: 1,
      b: { c: 2 },
    });
    expect(await coll.findOne({}, { projection: { _id: 0 } })).toEqual({ a: 1, b: { c: 2 } });
  });
});

describe('$all', () => {
  it('matches a scalar field holding the single listed value, as {$and: [{a: 5}]} does', async () => {
    const coll = fresh();
    await coll.insertMany([
      { _id: 1, a: 5 },
      { _id: 2, a: [5, 6] },
      { _id: 3, a: 6 },
      { _id: 4, a: [[5]] },
      { _id: 5 },
    ]);
    expect(await ids(coll, { a: { $all: [5] } })).toEqual([1, 2]);
    expect(await ids(coll, { a: { $all: [5, 6] } })).toEqual([2]);
    expect(await ids(coll, { a: { $all: [[5]] } })).toEqual([4]);
    // An empty $all matches nothing.
    expect(await ids(coll, { a: { $all: [] } })).toEqual([]);
  });

  it('takes $elemMatch clauses and regular expressions', async () => {
    const coll = fresh();
    await coll.insertMany([
      { _id: 1, tags: 'red' },
      { _id: 2, tags: ['red', 'blue'] },
      { _id: 3, items: [{ n: 1 }, { n: 5 }] },
    ]);
    expect(await ids(coll, { tags: { $all: [/^r/, 'blue'] } })).toEqual([2]);
    expect(await ids(coll, { tags: { $all: [/^r/] } })).toEqual([1, 2]);
    expect(
      await ids(coll, {
        items: { $all: [{ $elemMatch: { n: { $gt: 4 } } }, { $elemMatch: { n: 1 } }] },
      }),
    ).toEqual([3]);
  });

  it('refuses a non-array operand with BadValue', async () => {
    const error = await rejection(
      fresh()
        .find({ a: { $all: 5 } })
        .toArray(),
    );
    expect(error).toMatchObject({ code: 2, codeName: 'BadValue', message: '$all needs an array' });
  });
});

describe('BinData comparisons', () => {
  // BSON order for BinData: length first, then subtype, then the bytes.
  const short = new Binary(Buffer.from([0xff]), 0);
  const long = new Binary(Buffer.from([0x00, 0x00]), 0);
  const longUserType = new Binary(Buffer.from([0x00, 0x00]), 0x80);
  const longer = new Binary(Buffer.from([0x00, 0x01]), 0);

  let coll: Collection<Doc>;
  beforeAll(async () => {
    coll = fresh();
    await coll.insertMany([
      { _id: 1, b: short },
      { _id: 2, b: long },
      { _id: 3, b: longUserType },
      { _id: 4, b: longer },
      { _id: 5, b: 'not binary' },
      { _id: 6, b: [short, 42] },
    ]);
  });

  it('$gt/$gte/$lt/$lte order by length, then subtype, then bytes', async () => {
    expect(await ids(coll, { b: { $gt: short } })).toEqual([2, 3, 4]);
    expect(await ids(coll, { b: { $gte: long } })).toEqual([2, 3, 4]);
    expect(await ids(coll, { b: { $lt: long } })).toEqual([1, 6]);
    expect(await ids(coll, { b: { $lte: longer } })).toEqual([1, 2, 4, 6]);
    expect(await ids(coll, { b: { $gt: long, $lt: longUserType } })).toEqual([4]);
  });

  it('agrees with the sort order', async () => {
    const sorted = await coll
      .find({ _id: { $in: [1, 2, 3, 4] } })
      .sort({ b: 1 })
      .toArray();
    expect(sorted.map((doc) => doc._id)).toEqual([1, 2, 4, 3]);
  });
});

describe('bitwise query operators', () => {
  let coll: Collection<Doc>;
  beforeAll(async () => {
    coll = fresh();
    await coll.insertMany([
      { _id: 1, a: 54 }, // 0b110110
      { _id: 2, a: new Int32(-5) },
      { _id: 3, a: Long.fromString('-9223372036854775808') }, // only bit 63 (and the sign) set
      { _id: 4, a: Long.fromString('9007199254740993') }, // 2^53 + 1: bits 0 and 53
      { _id: 5, a: new Binary(Buffer.from([0x01, 0x80])) }, // bits 0 and 15
      { _id: 6, a: 2.5 }, // not integral: never matches
      { _id: 7, a: 'text' },
    ]);
  });

  it('reads BinData bits from the least significant bit of the first byte', async () => {
    expect(await ids(coll, { a: { $bitsAllSet: [0, 15] } })).toContain(5);
    expect(await ids(coll, { a: { $bitsAllSet: [7] } })).not.toContain(5);
    expect(await ids(coll, { a: { $bitsAnyClear: [0, 15] } })).not.toContain(5);
    expect(await ids(coll, { a: { $bitsAnyClear: [8] } })).toContain(5);
    // A BinData bitmask numbers its bits the same way.
    const mask = new Binary(Buffer.from([0x00, 0x80]));
    expect(await ids(coll, { a: { $bitsAllSet: mask } })).toEqual([2, 5]);
  });

  it('treats positions beyond the number as clear, or set for a negative number (sign extension)', async () => {
    // -5 is ...11111011 in two's complement; the smallest Int64 has bit 63 alone set.
    expect(await ids(coll, { a: { $bitsAllSet: [40] } })).toEqual([2]);
    expect(await ids(coll, { a: { $bitsAllClear: [40] } })).toEqual([1, 3, 4, 5]);
    expect(await ids(coll, { a: { $bitsAnySet: [200] } })).toEqual([2, 3]);
    expect(await ids(coll, { a: { $bitsAllSet: [1, 2, 4, 5] } })).toEqual([1]);
    expect(await ids(coll, { a: { $bitsAllSet: 54 } })).toEqual([1]);
    expect(await ids(coll, { a: { $bitsAnyClear: 54 } })).toEqual([2, 3, 4, 5]);
  });

  it('keeps every bit of an Int64 beyond 2^53', async () => {
    expect(await ids(coll, { a: { $bitsAllSet: [0, 53] } })).toEqual([2, 4]);
    expect(await ids(coll, { a: { $bitsAllSet: [63] } })).toEqual([2, 3]);
  });

  it('refuses a negative bitmask or position with BadValue', async () => {
    expect(await rejection(coll.find({ a: { $bitsAllSet: -1 } }).toArray())).toMatchObject({
      code: 2,
    });
    expect(await rejection(coll.find({ a: { $bitsAllSet: [-1] } }).toArray())).toMatchObject({
      code: 2,
    });
  });
});

describe('DBRef fields', () => {
  const alice = new ObjectId();
  const bob = new ObjectId();

  let coll: Collection<Doc>;
  beforeAll(async () => {
    coll = fresh();
    await coll.insertMany([
      { _id: 1, members: [new DBRef('users', alice), new DBRef('users', bob, 'other')] },
      { _id: 2, members: [new DBRef('teams', alice)] },
      { _id: 3, owner: new DBRef('users', bob) },
    ]);
  });

  it('matches $elemMatch over $ref, $id and $db', async () => {
    expect(await ids(coll, { members: { $elemMatch: { $ref: 'users', $id: alice } } })).toEqual([
      1,
    ]);
    expect(await ids(coll, { members: { $elemMatch: { $id: alice } } })).toEqual([1, 2]);
    expect(await ids(coll, { members: { $elemMatch: { $id: bob, $db: 'other' } } })).toEqual([1]);
    expect(await ids(coll, { members: { $elemMatch: { $id: bob, $db: 'nope' } } })).toEqual([]);
  });

  it("reaches into DBRefs with dotted paths such as 'members.$id'", async () => {
    expect(await ids(coll, { 'members.$id': alice })).toEqual([1, 2]);
    expect(await ids(coll, { 'members.$ref': 'teams' })).toEqual([2]);
    expect(await ids(coll, { 'owner.$id': bob })).toEqual([3]);
    expect(await ids(coll, { 'members.$id': { $in: [bob] } })).toEqual([1]);
  });

  it('still compares whole DBRefs for equality, with or without an index on the path', async () => {
    expect(await ids(coll, { owner: new DBRef('users', bob) })).toEqual([3]);
    expect(await ids(coll, { members: new DBRef('teams', alice) })).toEqual([2]);
    await coll.createIndex({ 'members.$id': 1 });
    expect(await ids(coll, { 'members.$id': alice })).toEqual([1, 2]);
  });

  it('reads DBRefs back as DBRefs', async () => {
    const doc = await coll.findOne({ _id: 3 });
    expect(doc?.owner).toBeInstanceOf(DBRef);
    const [aggregated] = await coll.aggregate([{ $match: { _id: 3 } }]).toArray();
    expect(aggregated?.owner).toBeInstanceOf(DBRef);
  });
});
