import type { Collection, Document } from 'mongodb';
import { type Doc, rejection, useEngineDatabase } from './helpers/engine';

/** explain: which plan the engine's planner chose and what running it examined. */

const engine = useEngineDatabase('explain', 'e');

let coll: Collection<Doc>;
beforeAll(async () => {
  coll = engine.fresh();
  await coll.insertMany(
    Array.from({ length: 50 }, (_, i) => ({ _id: i, a: i % 10, b: `name${i}`, c: i })),
  );
  await coll.createIndex({ a: 1 });
  await coll.createIndex({ b: -1 }, { unique: true });
});

/** The innermost stage of a plan tree. */
function leaf(stage: Document): Document {
  let current = stage;
  while (current.inputStage) current = current.inputStage as Document;
  return current;
}

describe('explain find', () => {
  it('shows the chosen index (IXSCAN under FETCH) with its bounds and what it examined', async () => {
    const explained = await coll.find({ a: 3 }).explain('executionStats');
    const winning = explained.queryPlanner.winningPlan as Document;
    expect(winning.stage).toBe('FETCH');
    expect(winning.inputStage).toMatchObject({
      stage: 'IXSCAN',
      keyPattern: { a: 1 },
      indexName: 'a_1',
      isUnique: false,
      direction: 'forward',
      indexBounds: { a: ['[3, 3]'] },
    });
    expect(explained.queryPlanner).toMatchObject({
      namespace: `explain.${coll.collectionName}`,
      parsedQuery: { a: 3 },
      rejectedPlans: [],
    });
    expect(explained.executionStats).toMatchObject({
      executionSuccess: true,
      nReturned: 5,
      totalKeysExamined: 5,
      totalDocsExamined: 5,
    });
    expect(explained.executionStats.executionStages).toMatchObject({
      stage: 'FETCH',
      nReturned: 5,
      docsExamined: 5,
      inputStage: { stage: 'IXSCAN', keysExamined: 5, indexName: 'a_1' },
    });
  });

  it('shows a COLLSCAN when no index helps, examining every document', async () => {
    const explained = await coll.find({ c: { $gte: 45 } }).explain('executionStats');
    expect(explained.queryPlanner.winningPlan).toEqual({
      stage: 'COLLSCAN',
      filter: { c: { $gte: 45 } },
      direction: 'forward',
    });
    expect(explained.executionStats).toMatchObject({
      nReturned: 5,
      totalKeysExamined: 0,
      totalDocsExamined: 50,
    });
  });

  it('shows ranges, sorts, skips, limits and projections as stages', async () => {
    const ranged = await coll.find({ a: { $gt: 7 } }).explain('queryPlanner');
    expect(leaf(ranged.queryPlanner.winningPlan as Document).indexBounds).toEqual({
      a: ['(7, inf.0]'],
    });
    expect(ranged.executionStats).toBeUndefined();

    const sorted = await coll
      .find({ a: 1 }, { projection: { b: 1 } })
      .sort({ c: -1 })
      .skip(1)
      .limit(2)
      .explain('executionStats');
    const plan = sorted.queryPlanner.winningPlan as Document;
    expect(plan.stage).toBe('PROJECTION_DEFAULT');
    expect(plan.inputStage.stage).toBe('SKIP');
    expect(plan.inputStage.inputStage).toMatchObject({ stage: 'SORT', sortPattern: { c: -1 } });
    expect(sorted.executionStats.nReturned).toBe(2);

    // An index that yields the sort order needs no SORT stage: it is walked backwards here.
    const ordered = await coll.find({}).sort({ b: 1 }).limit(3).explain('queryPlanner');
    const limit = ordered.queryPlanner.winningPlan as Document;
    expect(limit.stage).toBe('LIMIT');
    expect(leaf(limit)).toMatchObject({
      stage: 'IXSCAN',
      indexName: 'b_-1',
      direction: 'backward',
      isUnique: true,
    });
  });

  it('follows a hint, and the default verbosity includes executionStats', async () => {
    const explained = await coll.find({ a: 2, b: 'name2' }).hint({ a: 1 }).explain();
    expect(leaf(explained.queryPlanner.winningPlan as Document).indexName).toBe('a_1');
    expect(explained.executionStats.totalKeysExamined).toBe(5);
    expect(explained.executionStats.nReturned).toBe(1);
    expect(explained.serverInfo).toMatchObject({ version: expect.stringMatching(/^7\.0\./) });
  });
});

describe('explain other commands', () => {
  it('aggregate: the leading $match runs through the planner in a $cursor stage', async () => {
    const explained = await coll
      .aggregate([{ $match: { a: 4 } }, { $group: { _id: '$a', n: { $sum: 1 } } }])
      .explain('executionStats');
    const [cursor, group] = explained.stages as Document[];
    expect(leaf(cursor?.$cursor.queryPlanner.winningPlan)).toMatchObject({ indexName: 'a_1' });
    expect(cursor?.$cursor.executionStats).toMatchObject({ nReturned: 5, totalKeysExamined: 5 });
    expect(group).toEqual({ $group: { _id: '$a', n: { $sum: 1 } } });
  });

  it('count, distinct, update and delete, changing nothing', async () => {
    const db = engine.db;
    const name = coll.collectionName;
    const count = await db.command({
      explain: { count: name, query: { a: 5 } },
      verbosity: 'executionStats',
    });
    expect(count.queryPlanner.winningPlan.stage).toBe('COUNT');
    expect(leaf(count.queryPlanner.winningPlan).indexName).toBe('a_1');
    expect(count.executionStats.executionStages.nCounted).toBe(5);

    const distinct = await db.command({ explain: { distinct: name, key: 'b', query: { a: 5 } } });
    expect(leaf(distinct.queryPlanner.winningPlan).indexName).toBe('a_1');

    const update = await db.command({
      explain: { update: name, updates: [{ q: { a: 6 }, u: { $set: { x: 1 } }, multi: true }] },
      verbosity: 'executionStats',
    });
    expect(update.queryPlanner.winningPlan.stage).toBe('UPDATE');
    expect(update.executionStats.executionStages).toMatchObject({ stage: 'UPDATE', nMatched: 5 });

    const remove = await db.command({
      explain: { delete: name, deletes: [{ q: { c: 7 }, limit: 1 }] },
      verbosity: 'executionStats',
    });
    expect(remove.queryPlanner.winningPlan).toMatchObject({
      stage: 'DELETE',
      inputStage: { stage: 'LIMIT', inputStage: { stage: 'COLLSCAN' } },
    });
    expect(await coll.countDocuments({ x: 1 })).toBe(0);
    expect(await coll.countDocuments()).toBe(50);
  });

  it('refuses an unknown verbosity and a command it cannot explain', async () => {
    const db = engine.db;
    expect(
      await rejection(db.command({ explain: { find: coll.collectionName }, verbosity: 'loud' })),
    ).toMatchObject({ code: 2 });
    expect(await rejection(db.command({ explain: { ping: 1 } }))).toMatchObject({ code: 20 });
  });
});
