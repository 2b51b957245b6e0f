import type { CollectionInfo, MongoServerError } from 'mongodb';
import { rejection, useEngineDatabase, type Doc } from './helpers/engine';

const engine = useEngineDatabase('collation');

const caseInsensitive = { locale: 'en', strength: 2 };

describe('collations', () => {
  it('a collection default collation applies to finds, sorts and counts that name none', async () => {
    const db = engine.freshDb();
    await db.createCollection('names', { collation: caseInsensitive });
    const names = db.collection<Doc>('names');
    await names.insertMany([
      { _id: 1, n: 'b' },
      { _id: 2, n: 'A' },
      { _id: 3, n: 'a' },
    ]);
    expect(await names.countDocuments({ n: 'a' })).toBe(2);
    const sorted = await names.find({}, { sort: { n: 1, _id: 1 } }).toArray();
    expect(sorted.map((doc) => doc._id)).toEqual([2, 3, 1]);
    // An explicit "simple" collation is binary comparison again.
    expect(await names.countDocuments({ n: 'a' }, { collation: { locale: 'simple' } })).toBe(1);
    const [info] = await db.listCollections({ name: 'names' }).toArray();
    expect((info as CollectionInfo | undefined)?.options?.collation).toMatchObject({
      locale: 'en',
      strength: 2,
      caseLevel: false,
    });
  });

  it('sorts with numericOrdering and orders accents from the end with backwards', async () => {
    const coll = engine.fresh();
    await coll.insertMany([{ v: '10' }, { v: '9' }, { v: '100' }]);
    const numeric = await coll
      .find({}, { sort: { v: 1 }, collation: { locale: 'en', numericOrdering: true } })
      .toArray();
    expect(numeric.map((doc) => doc.v)).toEqual(['9', '10', '100']);
    const french = engine.fresh();
    await french.insertMany(['côté', 'coté', 'côte', 'cote'].map((v) => ({ v })));
    const backwards = await french
      .find({}, { sort: { v: 1 }, collation: { locale: 'fr', backwards: true } })
      .toArray();
    expect(backwards.map((doc) => doc.v)).toEqual(['cote', 'côte', 'coté', 'côté']);
  });

  it('a unique index with a case-insensitive collation refuses a value differing in case', async () => {
    const coll = engine.fresh();
    await coll.createIndex({ email: 1 }, { unique: true, collation: caseInsensitive });
    await coll.insertOne({ email: 'ada@example.org' });
    const error = await rejection(coll.insertOne({ email: 'ADA@example.org' }));
    expect(error.code).toBe(11000);
    const [index] = (await coll.listIndexes().toArray()).filter((i) => i.name === 'email_1');
    expect(index?.collation).toMatchObject({ locale: 'en', strength: 2 });
  });

  it('a query uses an index only when its collation matches the index collation', async () => {
    const coll = engine.fresh();
    await coll.createIndex({ name: 1 }, { collation: caseInsensitive });
    await coll.insertMany([{ name: 'Ada' }, { name: 'ada' }, { name: 'Bob' }]);
    const scanned = async (): Promise<number> =>
      (await engine.db.admin().command({ serverStatus: 1 })).metrics.queryExecutor.scannedObjects;
    let before = await scanned();
    expect(await coll.find({ name: 'ADA' }, { collation: caseInsensitive }).toArray()).toHaveLength(
      2,
    );
    expect((await scanned()) - before).toBe(2);
    before = await scanned();
    expect(await coll.find({ name: 'ada' }).toArray()).toHaveLength(1);
    expect((await scanned()) - before).toBe(3);
  });

  it('pages by a case-insensitive name through its collated index: in order, no skip or repeat, a page reads from its cursor on', async () => {
    const coll = engine.fresh();
    await coll.createIndex({ name: 1, _id: 1 }, { collation: caseInsensitive });
    const names = [
      'gamma',
      'Beta',
      'alpha',
      'ALPHA',
      'beta',
      'Gamma',
      'delta',
      'Alpha',
      'épsilon',
      'Zeta',
      'zeta',
    ];
    await coll.insertMany(names.map((name, i) => ({ _id: i + 1, name })));
    const expected = await coll
      .find({}, { sort: { name: 1, _id: 1 }, collation: caseInsensitive })
      .toArray();
    const expectedNames = expected.map((doc) => doc.name as string);
    expect(expectedNames).toEqual([
      'alpha',
      'ALPHA',
      'Alpha',
      'Beta',
      'beta',
      'delta',
      'épsilon',
      'gamma',
      'Gamma',
      'Zeta',
      'zeta',
    ]);
    const seen: Doc[] = [];
    let after: Doc | undefined;
    for (let pages = 0; pages < 20; pages++) {
      const filter = after
        ? { $or: [{ name: { $gt: after.name } }, { name: after.name, _id: { $gt: after._id } }] }
        : {};
      const page = await coll
        .find(filter, { sort: { name: 1, _id: 1 }, collation: caseInsensitive, limit: 2 })
        .toArray();
      seen.push(...page);
      after = page.at(-1);
      if (page.length < 2) break;
    }
    expect(seen.map((doc) => doc._id)).toEqual(expected.map((doc) => doc._id));
    // The page query walks the collated index in order (no SORT stage); without the collation
    // the index cannot give the order, as in mongod.
    const page = { $or: [{ name: { $gt: 'beta' } }, { name: 'beta', _id: { $gt: 5 } }] };
    const collated = await coll
      .find(page, { sort: { name: 1, _id: 1 }, collation: caseInsensitive, limit: 2 })
      .explain('executionStats');
    expect(collated.queryPlanner.winningPlan).toMatchObject({
      stage: 'LIMIT',
      inputStage: { stage: 'FETCH', inputStage: { stage: 'IXSCAN', indexName: 'name_1__id_1' } },
    });
    expect(collated.executionStats.nReturned).toBe(2);
    // The $or bounds the scan from the cursor's name on (Beta and beta, then delta and épsilon),
    // in the index's collation: a page reads what it returns, not every name before it.
    expect(collated.queryPlanner.winningPlan.inputStage.inputStage.indexBounds).toEqual({
      name: ['["beta", {}]'],
      _id: ['[MinKey, MaxKey]'],
    });
    expect(collated.executionStats.totalDocsExamined).toBe(4);
    expect(
      (await coll.find(page, { sort: { name: 1, _id: 1 }, limit: 2 }).explain()).queryPlanner
        .winningPlan,
    ).toMatchObject({ stage: 'SORT', inputStage: { stage: 'COLLSCAN' } });
  });

  it('a malformed collation is refused with mongod codes', async () => {
    const coll = engine.fresh();
    const unknown = await rejection(
      coll.find({}, { collation: { locale: 'en', bogus: 1 } as never }).toArray(),
    );
    expect(unknown.code).toBe(40415);
    const locale = await rejection(coll.find({}, { collation: { locale: 'xx' } }).toArray());
    expect(locale.code).toBe(2);
  });
});

describe('views', () => {
  it('reads through the pipeline, refuses writes (166) and lists as a view', async () => {
    const db = engine.freshDb();
    await db.collection<Doc>('people').insertMany([
      { _id: 1, name: 'ada', active: true },
      { _id: 2, name: 'bob', active: false },
      { _id: 3, name: 'cy', active: true },
    ]);
    await db.createCollection('active', {
      viewOn: 'people',
      pipeline: [{ $match: { active: true } }],
    });
    const view = db.collection<Doc>('active');
    expect(await view.find({}, { sort: { _id: -1 }, projection: { name: 1 } }).toArray()).toEqual([
      { _id: 3, name: 'cy' },
      { _id: 1, name: 'ada' },
    ]);
    expect(await view.estimatedDocumentCount()).toBe(2);
    expect(await view.distinct('name')).toEqual(['ada', 'cy']);
    const error = await rejection<MongoServerError>(view.insertOne({ _id: 4, active: true }));
    expect(error.code).toBe(166);
    const [info] = await db.listCollections({ name: 'active' }).toArray();
    expect(info).toMatchObject({ type: 'view', options: { viewOn: 'people' } });
  });
});

describe('$out and $merge', () => {
  it('$out replaces the target, $merge merges into it on _id', async () => {
    const db = engine.freshDb();
    const source = db.collection<Doc>('source');
    await source.insertMany([
      { _id: 1, x: 1 },
      { _id: 2, x: 2 },
    ]);
    await db.collection<Doc>('target').insertOne({ _id: 9, stale: true });
    await source.aggregate([{ $match: { x: { $gt: 1 } } }, { $out: 'target' }]).toArray();
    expect(await db.collection<Doc>('target').find().toArray()).toEqual([{ _id: 2, x: 2 }]);
    await source.aggregate([{ $set: { y: 1 } }, { $merge: { into: 'target' } }]).toArray();
    expect(await db.collection<Doc>('target').find().sort({ _id: 1 }).toArray()).toEqual([
      { _id: 1, x: 1, y: 1 },
      { _id: 2, x: 2, y: 1 },
    ]);
  });
});
