import type {
  Collection,
  CommandSucceededEvent,
  Document,
  MongoClient,
  MongoServerError,
} from 'mongodb';
import { type Doc, connect, useEngineDatabase } from './helpers/engine';

const engine = useEngineDatabase('aggregation');
let sales: Collection<Doc>;
let products: Collection<Doc>;

const SALES = [
  { _id: 1, item: 'apple', store: 'north', qty: 5, price: 2, tags: ['fruit', 'red'] },
  { _id: 2, item: 'pear', store: 'north', qty: 3, price: 3, tags: ['fruit'] },
  { _id: 3, item: 'apple', store: 'south', qty: 10, price: 2, tags: ['fruit', 'red'] },
  { _id: 4, item: 'kale', store: 'south', qty: 1, price: 4, tags: ['veg', 'green'] },
  { _id: 5, item: 'apple', store: 'north', qty: 2, price: 2, tags: [] },
  { _id: 6, item: 'kale', store: 'east', qty: 7, price: 5 },
];

beforeAll(async () => {
  sales = engine.db.collection<Doc>('sales');
  products = engine.db.collection<Doc>('products');
  await sales.insertMany(SALES);
  await products.insertMany([
    { _id: 'apple', color: 'red', origin: 'NO' },
    { _id: 'pear', color: 'green', origin: 'SE' },
    { _id: 'kale', color: 'green', origin: 'DK' },
  ]);
});

describe('aggregation pipeline', () => {
  it('counts documents as countDocuments asks (a $match then a constant $group of $sum: 1)', async () => {
    expect(await sales.countDocuments({ item: 'apple' })).toBe(3);
    expect(await sales.countDocuments({ qty: { $gte: 100 } })).toBe(0);
    expect(await sales.countDocuments({})).toBe(6);
    expect(await engine.db.collection('nothing-here').countDocuments({})).toBe(0);
    // The same shape with other constants and several counters, and what mongod answers for none.
    const counted = await sales
      .aggregate([
        { $match: { store: 'north' } },
        { $group: { _id: null, a: { $sum: 1 }, b: { $sum: 1 } } },
      ])
      .toArray();
    expect(counted).toEqual([{ _id: null, a: 3, b: 3 }]);
    expect(
      await sales
        .aggregate([{ $match: { store: 'west' } }, { $group: { _id: 1, n: { $sum: 1 } } }])
        .toArray(),
    ).toEqual([]);
    // Grouping by a field is not a count: it goes through the pipeline as before.
    const byStore = await sales
      .aggregate([
        { $match: { item: 'kale' } },
        { $group: { _id: '$store', n: { $sum: 1 } } },
        { $sort: { _id: 1 } },
      ])
      .toArray();
    expect(byStore).toEqual([
      { _id: 'east', n: 1 },
      { _id: 'south', n: 1 },
    ]);
  });

  it('$match then $group with every common accumulator', async () => {
    const groups = await sales
      .aggregate([
        { $match: { qty: { $gte: 2 } } },
        { $sort: { _id: 1 } },
        {
          $group: {
            _id: '$item',
            total: { $sum: '$qty' },
            count: { $sum: 1 },
            avgQty: { $avg: '$qty' },
            minQty: { $min: '$qty' },
            maxQty: { $max: '$qty' },
            ids: { $push: '$_id' },
            stores: { $addToSet: '$store' },
            first: { $first: '$store' },
          },
        },
        { $sort: { _id: 1 } },
      ])
      .toArray();
    expect(groups.map((g) => ({ ...g, stores: [...(g.stores as string[])].sort() }))).toEqual([
      {
        _id: 'apple',
        total: 17,
        count: 3,
        avgQty: 17 / 3,
        minQty: 2,
        maxQty: 10,
        ids: [1, 3, 5],
        stores: ['north', 'south'],
        first: 'north',
      },
      {
        _id: 'kale',
        total: 7,
        count: 1,
        avgQty: 7,
        minQty: 7,
        maxQty: 7,
        ids: [6],
        stores: ['east'],
        first: 'east',
      },
      {
        _id: 'pear',
        total: 3,
        count: 1,
        avgQty: 3,
        minQty: 3,
        maxQty: 3,
        ids: [2],
        stores: ['north'],
        first: 'north',
      },
    ]);
  });

  it('$group with _id null totals the whole input, with computed expressions', async () => {
    const [total] = await sales
      .aggregate([
        {
          $group: {
            _id: null,
            revenue: { $sum: { $multiply: ['$qty', '$price'] } },
            n: { $sum: 1 },
          },
        },
      ])
      .toArray();
    expect(total).toEqual({ _id: null, revenue: 10 + 9 + 20 + 4 + 4 + 35, n: 6 });
  });

  it('$group on a compound key', async () => {
    const groups = await sales
      .aggregate([
        { $group: { _id: { item: '$item', store: '$store' }, qty: { $sum: '$qty' } } },
        { $sort: { '_id.item': 1, '_id.store': 1 } },
      ])
      .toArray();
    expect(groups).toEqual([
      { _id: { item: 'apple', store: 'north' }, qty: 7 },
      { _id: { item: 'apple', store: 'south' }, qty: 10 },
      { _id: { item: 'kale', store: 'east' }, qty: 7 },
      { _id: { item: 'kale', store: 'south' }, qty: 1 },
      { _id: { item: 'pear', store: 'north' }, qty: 3 },
    ]);
  });

  it('$sort, $skip and $limit', async () => {
    const page = await sales
      .aggregate([{ $sort: { qty: -1 } }, { $skip: 1 }, { $limit: 3 }, { $project: { qty: 1 } }])
      .toArray();
    expect(page).toEqual([
      { _id: 6, qty: 7 },
      { _id: 1, qty: 5 },
      { _id: 2, qty: 3 },
    ]);
  });

  it('$project with inclusion, exclusion and computed fields', async () => {
    const projected = await sales
      .aggregate([
        { $match: { _id: 1 } },
        {
          $project: {
            _id: 0,
            item: 1,
            total: { $multiply: ['$qty', '$price'] },
            label: { $toUpper: '$item' },
          },
        },
      ])
      .toArray();
    expect(projected).toEqual([{ item: 'apple', total: 10, label: 'APPLE' }]);
    const excluded = await sales
      .aggregate([{ $match: { _id: 2 } }, { $project: { tags: 0, price: 0 } }])
      .toArray();
    expect(excluded).toEqual([{ _id: 2, item: 'pear', store: 'north', qty: 3 }]);
  });

  it('$addFields keeps existing fields and adds computed ones', async () => {
    const docs = await sales
      .aggregate([
        { $match: { item: 'pear' } },
        { $addFields: { total: { $multiply: ['$qty', '$price'] }, 'meta.seen': true } },
      ])
      .toArray();
    expect(docs).toEqual([{ ...SALES[1], total: 9, meta: { seen: true } }]);
  });

  it('$unwind one document per array element (empty and missing arrays drop out)', async () => {
    const docs = await sales
      .aggregate([
        { $unwind: '$tags' },
        { $project: { _id: 1, tags: 1 } },
        { $sort: { _id: 1, tags: 1 } },
      ])
      .toArray();
    expect(docs).toEqual([
      { _id: 1, tags: 'fruit' },
      { _id: 1, tags: 'red' },
      { _id: 2, tags: 'fruit' },
      { _id: 3, tags: 'fruit' },
      { _id: 3, tags: 'red' },
      { _id: 4, tags: 'green' },
      { _id: 4, tags: 'veg' },
    ]);
    const kept = await sales
      .aggregate([
        { $unwind: { path: '$tags', preserveNullAndEmptyArrays: true, includeArrayIndex: 'i' } },
        { $match: { _id: { $in: [5, 6] } } },
        { $project: { _id: 1, tags: 1, i: 1 } },
        { $sort: { _id: 1 } },
      ])
      .toArray();
    expect(kept).toEqual([
      { _id: 5, i: null },
      { _id: 6, i: null },
    ]);
  });

  it('$unwind then $group counts tags', async () => {
    const counts = await sales
      .aggregate([
        { $unwind: '$tags' },
        { $group: { _id: '$tags', n: { $sum: 1 } } },
        { $sort: { n: -1, _id: 1 } },
      ])
      .toArray();
    expect(counts).toEqual([
      { _id: 'fruit', n: 3 },
      { _id: 'red', n: 2 },
      { _id: 'green', n: 1 },
      { _id: 'veg', n: 1 },
    ]);
  });

  it('$lookup joins another collection of the same database', async () => {
    const joined = await sales
      .aggregate([
        { $match: { _id: { $in: [1, 4] } } },
        { $sort: { _id: 1 } },
        { $lookup: { from: 'products', localField: 'item', foreignField: '_id', as: 'product' } },
        { $project: { item: 1, product: 1 } },
      ])
      .toArray();
    expect(joined).toEqual([
      { _id: 1, item: 'apple', product: [{ _id: 'apple', color: 'red', origin: 'NO' }] },
      { _id: 4, item: 'kale', product: [{ _id: 'kale', color: 'green', origin: 'DK' }] },
    ]);
    const missing = await sales
      .aggregate([
        { $match: { _id: 1 } },
        {
          $lookup: { from: 'no_such_collection', localField: 'item', foreignField: '_id', as: 'x' },
        },
        { $project: { x: 1 } },
      ])
      .toArray();
    expect(missing).toEqual([{ _id: 1, x: [] }]);
  });

  it('$lookup from the other side with a pipeline', async () => {
    const joined = await products
      .aggregate([
        { $sort: { _id: 1 } },
        {
          $lookup: {
            from: 'sales',
            let: { name: '$_id' },
            pipeline: [
              { $match: { $expr: { $eq: ['$item', '$$name'] } } },
              { $group: { _id: null, qty: { $sum: '$qty' } } },
            ],
            as: 'sold',
          },
        },
        { $project: { qty: { $arrayElemAt: ['$sold.qty', 0] } } },
      ])
      .toArray();
    expect(joined).toEqual([
      { _id: 'apple', qty: 17 },
      { _id: 'kale', qty: 8 },
      { _id: 'pear', qty: 3 },
    ]);
  });

  it('$count', async () => {
    expect(
      await sales.aggregate([{ $match: { item: 'apple' } }, { $count: 'apples' }]).toArray(),
    ).toEqual([{ apples: 3 }]);
    expect(
      await sales.aggregate([{ $match: { item: 'none' } }, { $count: 'n' }]).toArray(),
    ).toEqual([]);
  });

  it('$facet runs several sub-pipelines over the same input', async () => {
    const [facets] = await sales
      .aggregate([
        {
          $facet: {
            byStore: [{ $group: { _id: '$store', n: { $sum: 1 } } }, { $sort: { _id: 1 } }],
            top: [{ $sort: { qty: -1 } }, { $limit: 2 }, { $project: { _id: 1 } }],
            total: [{ $count: 'n' }],
          },
        },
      ])
      .toArray();
    expect(facets).toEqual({
      byStore: [
        { _id: 'east', n: 1 },
        { _id: 'north', n: 3 },
        { _id: 'south', n: 2 },
      ],
      top: [{ _id: 3 }, { _id: 6 }],
      total: [{ n: 6 }],
    });
    const [empty] = await sales
      .aggregate([{ $match: { item: 'none' } }, { $facet: { total: [{ $count: 'n' }] } }])
      .toArray();
    expect(empty).toEqual({ total: [] });
  });

  it('aggregating a missing collection yields nothing', async () => {
    expect(
      await engine.db
        .collection<Doc>('nothing_here')
        .aggregate([{ $match: {} }])
        .toArray(),
    ).toEqual([]);
  });

  it('an unknown stage is refused', async () => {
    let error: MongoServerError | undefined;
    try {
      await sales.aggregate([{ $bogus: {} }]).toArray();
    } catch (e) {
      error = e as MongoServerError;
    }
    expect(error?.code).toBe(40324);
    expect(error?.message).toBe("Unrecognized pipeline stage name: '$bogus'");
  });
});

describe('aggregate cursors', () => {
  let monitored: MongoClient;
  let big: Collection<Doc>;
  const succeeded: CommandSucceededEvent[] = [];

  beforeAll(async () => {
    big = engine.db.collection<Doc>('big');
    await big.insertMany(Array.from({ length: 235 }, (_, i) => ({ _id: i, even: i % 2 === 0 })));
    monitored = await connect(engine.server.uri, { monitorCommands: true });
    monitored.on('commandSucceeded', (event) => succeeded.push(event));
  });

  beforeEach(() => {
    succeeded.length = 0;
  });

  const replies = (name: string): Document[] =>
    succeeded.filter((e) => e.commandName === name).map((e) => e.reply as Document);

  it('batchSize splits the result into batches fetched with getMore', async () => {
    const docs = await monitored
      .db(engine.db.databaseName)
      .collection<Doc>('big')
      .aggregate([{ $match: { even: true } }, { $sort: { _id: 1 } }], { batchSize: 20 })
      .toArray();
    expect(docs.map((d) => d._id)).toEqual(Array.from({ length: 118 }, (_, i) => i * 2));
    expect(replies('aggregate')[0]?.cursor.firstBatch).toHaveLength(20);
    const getMores = replies('getMore');
    expect(getMores.length).toBeGreaterThanOrEqual(5);
    for (const reply of getMores) expect(reply.cursor.nextBatch.length).toBeLessThanOrEqual(20);
  });

  it('without batchSize the first batch holds 101 documents', async () => {
    const docs = await monitored
      .db(engine.db.databaseName)
      .collection<Doc>('big')
      .aggregate([{ $sort: { _id: -1 } }])
      .toArray();
    expect(docs).toHaveLength(235);
    expect(docs[0]?._id).toBe(234);
    expect(replies('aggregate')[0]?.cursor.firstBatch).toHaveLength(101);
  });
});
