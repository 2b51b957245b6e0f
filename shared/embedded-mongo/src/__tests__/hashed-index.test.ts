import { Double, Int32, Long, type Document } from 'mongodb';
import { rejection, useEngineDatabase } from './helpers/engine';

/** Hashed indexes: equality lookups through hashes, never ranges or sorts; mongod's refusals. */

const engine = useEngineDatabase('hashed', 'h');

/** The index the winning plan scans, or 'COLLSCAN'. */
async function planned(explained: Promise<Document>): Promise<string> {
  let stage = (await explained).queryPlanner.winningPlan as Document;
  while (stage.inputStage) stage = stage.inputStage as Document;
  return stage.stage === 'IXSCAN' ? (stage.indexName as string) : (stage.stage as string);
}

describe('hashed indexes', () => {
  it('answer equality and $in through the index, across numeric types', async () => {
    const coll = engine.fresh();
    await coll.createIndex({ owner: 'hashed' });
    await coll.insertMany([
      { _id: 1, owner: 'ada' },
      { _id: 2, owner: 'bob' },
      { _id: 3, owner: new Int32(7) },
      { _id: 4, owner: 7.5 },
      { _id: 5 },
    ]);
    const indexes = await coll.listIndexes().toArray();
    expect(indexes.find((index) => index.name === 'owner_hashed')?.key).toEqual({
      owner: 'hashed',
    });
    expect(await planned(coll.find({ owner: 'ada' }).explain())).toBe('owner_hashed');
    expect(await coll.find({ owner: 'ada' }).toArray()).toEqual([{ _id: 1, owner: 'ada' }]);
    // 7 as an Int64 or a Double finds the Int32 7, and mongod's truncation to 7 does not make
    // 7.5 match (the filter still decides).
    for (const seven of [Long.fromNumber(7), new Double(7)]) {
      expect(await coll.find({ owner: seven }).toArray()).toEqual([{ _id: 3, owner: 7 }]);
    }
    const both = await coll
      .find({ owner: { $in: ['bob', 'ada'] } })
      .sort({ _id: 1 })
      .toArray();
    expect(both.map((doc) => doc._id)).toEqual([1, 2]);
    // A missing field is indexed as null.
    expect(await coll.find({ owner: null }).toArray()).toEqual([{ _id: 5 }]);
    expect(await coll.countDocuments({ owner: 'bob' })).toBe(1);
  });

  it('are not used for ranges nor sorts', async () => {
    const coll = engine.fresh();
    await coll.createIndex({ n: 'hashed' });
    await coll.insertMany([{ n: 1 }, { n: 2 }, { n: 3 }]);
    expect(await planned(coll.find({ n: { $gt: 1 } }).explain())).toBe('COLLSCAN');
    expect(await coll.countDocuments({ n: { $gt: 1 } })).toBe(2);
    const sorted = await coll
      .find({}, { projection: { _id: 0 } })
      .sort({ n: -1 })
      .toArray();
    expect(sorted).toEqual([{ n: 3 }, { n: 2 }, { n: 1 }]);
  });

  it('can lead a compound index with one hashed field', async () => {
    const coll = engine.fresh();
    await coll.createIndex({ tenant: 'hashed', at: 1 });
    await coll.insertMany([
      { _id: 1, tenant: 't1', at: 1 },
      { _id: 2, tenant: 't1', at: 2 },
      { _id: 3, tenant: 't2', at: 1 },
    ]);
    expect(await planned(coll.find({ tenant: 't1', at: 2 }).explain())).toBe('tenant_hashed_at_1');
    expect(await coll.find({ tenant: 't1', at: 2 }).toArray()).toEqual([
      { _id: 2, tenant: 't1', at: 2 },
    ]);
  });

  it('refuse uniqueness, two hashed fields and array values, as mongod does', async () => {
    const coll = engine.fresh();
    expect(await rejection(coll.createIndex({ a: 'hashed' }, { unique: true }))).toMatchObject({
      code: 16764,
    });
    expect(await rejection(coll.createIndex({ a: 'hashed', b: 'hashed' }))).toMatchObject({
      code: 31303,
    });
    await coll.createIndex({ a: 'hashed' });
    expect(await rejection(coll.insertOne({ a: [1, 2] }))).toMatchObject({ code: 16766 });
    // Existing arrays stop the index from being built.
    const other = engine.fresh();
    await other.insertOne({ a: [1] });
    expect(await rejection(other.createIndex({ a: 'hashed' }))).toMatchObject({ code: 16766 });
  });
});
