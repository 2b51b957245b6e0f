import type { Document } from 'mongodb';
import { useEngineDatabase } from './helpers/engine';

/**
 * Cursors produce their results as getMore asks for them, not when they open: what a write
 * changes before the cursor reaches a document shows in later batches, as on mongod (which
 * gives a cursor no snapshot across getMores either).
 */
const engine = useEngineDatabase('cursors', 'k');
const { fresh } = engine;

async function firstBatchThenRest(
  cursor: {
    next(): Promise<Document | null>;
    bufferedCount(): number;
    toArray(): Promise<Document[]>;
  },
  between: () => Promise<unknown>,
): Promise<{ first: unknown[]; rest: unknown[] }> {
  const first: unknown[] = [];
  const head = await cursor.next();
  first.push(head?._id);
  while (cursor.bufferedCount() > 0) first.push((await cursor.next())?._id);
  await between();
  return { first, rest: (await cursor.toArray()).map((d) => d._id) };
}

describe('lazy cursors', () => {
  it('a collection scan sees documents inserted and removed after it opened', async () => {
    const coll = fresh();
    await coll.insertMany([1, 2, 3, 4, 5].map((_id) => ({ _id })));
    const { first, rest } = await firstBatchThenRest(coll.find({}, { batchSize: 2 }), async () => {
      await coll.deleteOne({ _id: 4 });
      await coll.insertOne({ _id: 6 });
    });
    expect(first).toEqual([1, 2]);
    expect(rest).toEqual([3, 5, 6]);
  });

  it('an index scan skips entries removed while it is suspended', async () => {
    const coll = fresh();
    await coll.createIndex({ n: 1 });
    await coll.insertMany(Array.from({ length: 600 }, (_, i) => ({ _id: i, n: i })));
    const cursor = coll.find({ n: { $gte: 0 } }, { batchSize: 300 }).sort({ n: 1 });
    const { first, rest } = await firstBatchThenRest(cursor, () =>
      coll.deleteMany({ n: { $gte: 500 } }),
    );
    expect(first).toHaveLength(300);
    // One document is read ahead of each batch; the rest of the scan sees the delete.
    expect(rest).toEqual(Array.from({ length: 200 }, (_, i) => i + 300));
  });

  it('a streaming pipeline pulls its input as batches are asked for', async () => {
    const coll = fresh();
    await coll.insertMany(Array.from({ length: 10 }, (_, i) => ({ _id: i, n: i })));
    const cursor = coll.aggregate([{ $match: { n: { $gte: 0 } } }, { $project: { n: 1 } }], {
      batchSize: 3,
    });
    const { first, rest } = await firstBatchThenRest(cursor, () =>
      coll.deleteMany({ n: { $gte: 7 } }),
    );
    expect(first).toEqual([0, 1, 2]);
    expect(rest).toEqual([3, 4, 5, 6]);
  });

  it('a sort without an index still returns every document in order', async () => {
    const coll = fresh();
    await coll.insertMany(Array.from({ length: 250 }, (_, i) => ({ _id: i, n: (i * 7919) % 250 })));
    const docs = await coll.find({}, { batchSize: 40 }).sort({ n: -1 }).toArray();
    expect(docs.map((d) => d.n)).toEqual(Array.from({ length: 250 }, (_, i) => 249 - i));
  });
});
