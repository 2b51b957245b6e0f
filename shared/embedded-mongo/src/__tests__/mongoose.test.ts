import mongoose, { Schema, type Connection, type Types } from 'mongoose';
import type { EmbeddedMongo } from '../index';
import { cleanup, onCleanup, rejection, startEngine } from './helpers/engine';

/**
 * What the PSA services do with mongoose 9, against the engine over TCP. Every test works on its
 * own models (and so its own collections) of one connection made with `createConnection`.
 */

let engine: EmbeddedMongo;
let conn: Connection;

beforeAll(async () => {
  engine = await startEngine();
  conn = await mongoose
    .createConnection(engine.uri, {
      dbName: 'psa_mongoose',
      serverSelectionTimeoutMS: 5000,
    })
    .asPromise();
  onCleanup(() => conn.close());
});

afterAll(cleanup);

describe('schemas and indexes', () => {
  it('sets createdAt/updatedAt with timestamps and keeps createdAt on updates', async () => {
    const Note = conn.model('TsNote', new Schema({ text: String }, { timestamps: true }));
    const created = await Note.create({ text: 'first' });
    expect(created.get('createdAt')).toBeInstanceOf(Date);
    expect(created.get('updatedAt')).toEqual(created.get('createdAt'));

    await Note.updateOne({ _id: created._id }, { $set: { text: 'second' } });
    const reloaded = await Note.findById(created._id).lean<{
      text: string;
      createdAt: Date;
      updatedAt: Date;
    }>();
    expect(reloaded?.text).toBe('second');
    expect(reloaded?.createdAt).toEqual(created.get('createdAt'));
    expect(reloaded?.updatedAt).toBeInstanceOf(Date);
    expect(reloaded!.updatedAt.getTime()).toBeGreaterThanOrEqual(reloaded!.createdAt.getTime());

    // Stored as BSON dates, not strings.
    const raw = await conn.db!.collection('tsnotes').findOne({ _id: created._id });
    expect(raw?.createdAt).toBeInstanceOf(Date);
  });

  it('enforces a unique index after Model.init(): code 11000 with keyValue', async () => {
    const userSchema = new Schema({ email: { type: String, required: true, unique: true } });
    const User = conn.model('UqUser', userSchema);
    await User.init();
    const indexes = await User.listIndexes();
    expect(indexes).toEqual(
      expect.arrayContaining([expect.objectContaining({ key: { email: 1 }, unique: true })]),
    );

    await User.create({ email: 'ada@example.com' });
    const error = await rejection<Record<string, unknown>>(
      User.create({ email: 'ada@example.com' }),
    );
    expect(error.code).toBe(11000);
    expect(error.keyValue).toEqual({ email: 'ada@example.com' });
    expect(error.keyPattern).toEqual({ email: 1 });
    expect(await User.countDocuments()).toBe(1);

    // Unordered insertMany: the duplicate fails, the others are written.
    const bulkError = await rejection<Record<string, unknown>>(
      User.insertMany(
        [{ email: 'bob@example.com' }, { email: 'ada@example.com' }, { email: 'cy@example.com' }],
        { ordered: false },
      ),
    );
    expect(bulkError.code).toBe(11000);
    expect((await User.distinct('email')).sort()).toEqual([
      'ada@example.com',
      'bob@example.com',
      'cy@example.com',
    ]);

    // An update that would create a duplicate fails the same way and changes nothing.
    const updateError = await rejection<Record<string, unknown>>(
      User.updateOne({ email: 'bob@example.com' }, { $set: { email: 'cy@example.com' } }),
    );
    expect(updateError.code).toBe(11000);
    expect(updateError.keyValue).toEqual({ email: 'cy@example.com' });
    expect(await User.exists({ email: 'bob@example.com' })).not.toBeNull();
  });

  it('enforces a compound unique index and uses a compound sort index', async () => {
    const schema = new Schema({ org: String, slug: String, rank: Number });
    schema.index({ org: 1, slug: 1 }, { unique: true });
    schema.index({ org: 1, rank: -1 });
    const Page = conn.model('CmpPage', schema);
    await Page.init();
    const keys = (await Page.listIndexes()).map((index) => index.key as Record<string, number>);
    expect(keys).toEqual(
      expect.arrayContaining([{ _id: 1 }, { org: 1, slug: 1 }, { org: 1, rank: -1 }]),
    );

    await Page.create([
      { org: 'a', slug: 'home', rank: 1 },
      { org: 'b', slug: 'home', rank: 3 },
      { org: 'a', slug: 'about', rank: 2 },
    ]);
    const error = await rejection<Record<string, unknown>>(
      Page.create({ org: 'a', slug: 'home', rank: 9 }),
    );
    expect(error.code).toBe(11000);
    expect(error.keyValue).toEqual({ org: 'a', slug: 'home' });

    const ranked = await Page.find({ org: 'a' }).sort({ rank: -1 }).lean();
    expect(ranked.map((page) => page.slug)).toEqual(['about', 'home']);

    // syncIndexes (run by services at startup) drops an index the schema no longer declares.
    await Page.collection.createIndex({ rank: 1 }, { name: 'stale_rank' });
    const dropped = await Page.syncIndexes();
    expect(dropped).toEqual(['stale_rank']);
    expect((await Page.listIndexes()).map((index) => index.name).sort()).toEqual(
      ['_id_', 'org_1_rank_-1', 'org_1_slug_1'].sort(),
    );
  });

  it('reports validation errors before anything reaches the server', async () => {
    const schema = new Schema({
      name: { type: String, required: true },
      hours: { type: Number, min: 0, max: 24 },
      status: { type: String, enum: ['draft', 'submitted'] },
    });
    const Entry = conn.model('ValEntry', schema);

    // Typed loosely on purpose: this is what an unchecked request body would carry.
    const invalid: Record<string, unknown> = { hours: 30, status: 'lost' };
    const error = await rejection<Record<string, unknown>>(Entry.create(invalid));
    expect(error).toBeInstanceOf(mongoose.Error.ValidationError);
    const errors = error.errors as Record<string, { kind: string }>;
    expect(Object.keys(errors).sort()).toEqual(['hours', 'name', 'status']);
    expect(errors.name?.kind).toBe('required');
    expect(errors.hours?.kind).toBe('max');
    expect(errors.status?.kind).toBe('enum');
    expect(await Entry.countDocuments()).toBe(0);

    const entry = await Entry.create({ name: 'ok', hours: 8, status: 'draft' });
    const updateError = await rejection<Record<string, unknown>>(
      Entry.updateOne({ _id: entry._id }, { $set: { hours: -1 } }, { runValidators: true }),
    );
    expect(updateError).toBeInstanceOf(mongoose.Error.ValidationError);
    expect((await Entry.findById(entry._id).lean())?.hours).toBe(8);

    const castError = await rejection<Record<string, unknown>>(
      Entry.find({ hours: 'many' } as Record<string, unknown>).exec(),
    );
    expect(castError).toBeInstanceOf(mongoose.Error.CastError);
  });
});

describe('reads and writes', () => {
  interface Task {
    title: string;
    priority: number;
    done: boolean;
    tags: string[];
  }
  const taskSchema = new Schema<Task>({
    title: String,
    priority: Number,
    done: { type: Boolean, default: false },
    tags: [String],
  });

  it('creates with create/insertMany and reads with sort/skip/limit/select/lean', async () => {
    const Task = conn.model<Task>('RwTask', taskSchema);
    const one = await Task.create({ title: 't0', priority: 0 });
    expect(one.isNew).toBe(false);
    expect(one.done).toBe(false);
    const many = await Task.insertMany(
      Array.from({ length: 9 }, (_, i) => ({ title: `t${i + 1}`, priority: (i + 1) % 5 })),
    );
    expect(many).toHaveLength(9);
    expect(await Task.countDocuments()).toBe(10);

    const page = await Task.find({ priority: { $gte: 1 } })
      .sort({ priority: -1, title: 1 })
      .skip(1)
      .limit(3)
      .select({ title: 1, priority: 1, _id: 0 })
      .lean();
    expect(page).toEqual([
      { title: 't9', priority: 4 },
      { title: 't3', priority: 3 },
      { title: 't8', priority: 3 },
    ]);

    const hydrated = await Task.find().sort({ title: 1 }).select('title -_id').limit(2);
    expect(hydrated[0]).toBeInstanceOf(Task);
    expect(hydrated.map((task) => task.toObject())).toEqual([{ title: 't0' }, { title: 't1' }]);

    const excluded = await Task.findOne({ title: 't2' }).select('-tags -__v').lean();
    expect(Object.keys(excluded ?? {}).sort()).toEqual(['_id', 'done', 'priority', 'title']);
  });

  it('updates arrays with $push/$pull/$addToSet through updateMany', async () => {
    const Task = conn.model<Task>('ArrTask', taskSchema);
    await Task.insertMany([
      { title: 'a', priority: 1, tags: ['x'] },
      { title: 'b', priority: 1, tags: ['x', 'y'] },
      { title: 'c', priority: 2, tags: [] },
    ]);

    const pushed = await Task.updateMany(
      { priority: 1 },
      { $push: { tags: { $each: ['z', 'z'] } } },
    );
    expect(pushed.matchedCount).toBe(2);
    expect(pushed.modifiedCount).toBe(2);

    await Task.updateMany({}, { $addToSet: { tags: { $each: ['x', 'w'] } } });
    await Task.updateMany({ tags: 'z' }, { $pull: { tags: { $in: ['z', 'y'] } } });

    const byTitle = Object.fromEntries(
      (await Task.find().lean()).map((task) => [task.title, task.tags]),
    );
    expect(byTitle).toEqual({ a: ['x', 'w'], b: ['x', 'w'], c: ['x', 'w'] });

    const unchanged = await Task.updateMany({}, { $addToSet: { tags: 'x' } });
    expect(unchanged.matchedCount).toBe(3);
    expect(unchanged.modifiedCount).toBe(0);
  });

  it('runs mixed operations with bulkWrite', async () => {
    const Task = conn.model<Task>('BulkTask', taskSchema);
    await Task.insertMany([
      { title: 'a', priority: 1 },
      { title: 'b', priority: 2 },
    ]);
    const result = await Task.bulkWrite([
      { insertOne: { document: { title: 'c', priority: 3 } } },
      { updateOne: { filter: { title: 'a' }, update: { $set: { done: true } } } },
      {
        updateOne: {
          filter: { title: 'z' },
          update: { $set: { priority: 9 } },
          upsert: true,
        },
      },
      { replaceOne: { filter: { title: 'b' }, replacement: { title: 'b2', priority: 5 } } },
      { deleteOne: { filter: { title: 'c' } } },
    ]);
    expect(result.insertedCount).toBe(1);
    expect(result.matchedCount).toBe(2);
    expect(result.modifiedCount).toBe(2);
    expect(result.upsertedCount).toBe(1);
    expect(result.deletedCount).toBe(1);
    const tasks = await Task.find().sort({ title: 1 }).select('-_id title priority done').lean();
    expect(tasks).toEqual([
      { title: 'a', priority: 1, done: true },
      { title: 'b2', priority: 5, done: false },
      // The upsert got the schema default through $setOnInsert.
      { title: 'z', priority: 9, done: false },
    ]);
  });

  it('answers deleteMany, countDocuments, exists and distinct', async () => {
    const Task = conn.model<Task>('CntTask', taskSchema);
    await Task.insertMany(
      Array.from({ length: 20 }, (_, i) => ({
        title: `t${i}`,
        priority: i % 4,
        done: i % 2 === 0,
        tags: [`g${i % 3}`],
      })),
    );
    expect(await Task.countDocuments({ done: true })).toBe(10);
    expect(await Task.estimatedDocumentCount()).toBe(20);
    expect((await Task.distinct('priority')).sort()).toEqual([0, 1, 2, 3]);
    expect((await Task.distinct('tags', { priority: 0 })).sort()).toEqual(['g0', 'g1', 'g2']);

    const found = await Task.exists({ title: 't7' });
    expect(found?._id).toBeDefined();
    expect(await Task.exists({ title: 'nope' })).toBeNull();

    const deleted = await Task.deleteMany({ priority: { $in: [0, 1] } });
    expect(deleted.deletedCount).toBe(10);
    expect(await Task.countDocuments()).toBe(10);
    expect(await Task.countDocuments({ priority: 0 })).toBe(0);

    const single = await Task.deleteOne({ title: 't2' });
    expect(single.deletedCount).toBe(1);
    expect(await Task.countDocuments()).toBe(9);
  });

  it('findOneAndUpdate with returnDocument after and upsert', async () => {
    const Counter = conn.model(
      'FauCounter',
      new Schema({ key: { type: String, unique: true }, seq: Number }, { timestamps: true }),
    );
    await Counter.init();

    const first = await Counter.findOneAndUpdate(
      { key: 'invoice' },
      { $inc: { seq: 1 } },
      { returnDocument: 'after', upsert: true },
    );
    expect(first?.get('seq')).toBe(1);
    expect(first?.get('key')).toBe('invoice');
    expect(first?.get('createdAt')).toBeInstanceOf(Date);

    const second = await Counter.findOneAndUpdate(
      { key: 'invoice' },
      { $inc: { seq: 1 } },
      { returnDocument: 'after', upsert: true },
    );
    expect(second?._id).toEqual(first?._id);
    expect(second?.get('seq')).toBe(2);
    expect(second?.get('createdAt')).toEqual(first?.get('createdAt'));

    const before = await Counter.findOneAndUpdate(
      { key: 'invoice' },
      { $inc: { seq: 10 } },
      { returnDocument: 'before' },
    ).lean();
    expect(before?.seq).toBe(2);

    const withMetadata = await Counter.findOneAndUpdate(
      { key: 'receipt' },
      { $inc: { seq: 1 } },
      { returnDocument: 'after', upsert: true, includeResultMetadata: true, lean: true },
    );
    expect(withMetadata.ok).toBe(1);
    expect(withMetadata.value).toMatchObject({ key: 'receipt', seq: 1 });
    expect(withMetadata.lastErrorObject).toMatchObject({ n: 1, updatedExisting: false });
    expect(withMetadata.lastErrorObject?.upserted).toEqual(withMetadata.value?._id);
    await Counter.deleteOne({ key: 'receipt' });

    const missing = await Counter.findOneAndUpdate(
      { key: 'other' },
      { $set: { seq: 5 } },
      { returnDocument: 'after' },
    );
    expect(missing).toBeNull();
    expect(await Counter.countDocuments()).toBe(1);
    expect((await Counter.findOne({ key: 'invoice' }).lean())?.seq).toBe(12);

    const removed = await Counter.findOneAndDelete({ key: 'invoice' }).lean();
    expect(removed?.seq).toBe(12);
    expect(await Counter.countDocuments()).toBe(0);
  });

  it('iterates 300 documents with Model.find().cursor()', async () => {
    const Row = conn.model('CurRow', new Schema({ n: Number }));
    await Row.insertMany(Array.from({ length: 300 }, (_, n) => ({ n })));

    const seen: number[] = [];
    for await (const row of Row.find().sort({ n: 1 }).batchSize(50).cursor()) {
      expect(row).toBeInstanceOf(Row);
      seen.push(row.get('n') as number);
    }
    expect(seen).toEqual(Array.from({ length: 300 }, (_, n) => n));

    // Default batch size (101) with a filter, and eachAsync.
    let odd = 0;
    await Row.find({ n: { $mod: [2, 1] } })
      .lean()
      .cursor()
      .eachAsync(() => {
        odd += 1;
      });
    expect(odd).toBe(150);

    // Closing a cursor before its end frees the server cursor (killCursors).
    const openCursors = async (): Promise<number> => {
      const status = await conn.db!.admin().serverStatus();
      return Number(status.metrics.cursor.open.total);
    };
    const openBefore = await openCursors();
    const cursor = Row.find().sort({ n: -1 }).batchSize(20).cursor();
    for (let i = 0; i < 30; i += 1) expect((await cursor.next())?.get('n')).toBe(299 - i);
    expect(await openCursors()).toBe(openBefore + 1);
    await cursor.close();
    expect(await openCursors()).toBe(openBefore);
  });
});

describe('relations', () => {
  it('populates references across two models', async () => {
    const Client = conn.model('PopClient', new Schema({ name: String, country: String }));
    const Project = conn.model(
      'PopProject',
      new Schema({
        name: String,
        client: { type: Schema.Types.ObjectId, ref: 'PopClient' },
        partners: [{ type: Schema.Types.ObjectId, ref: 'PopClient' }],
      }),
    );
    const [acme, globex, initech] = await Client.create([
      { name: 'Acme', country: 'US' },
      { name: 'Globex', country: 'DE' },
      { name: 'Initech', country: 'FR' },
    ]);
    await Project.create([
      { name: 'Rollout', client: acme!._id, partners: [globex!._id, initech!._id] },
      { name: 'Audit', client: globex!._id, partners: [] },
    ]);

    const projects = await Project.find()
      .sort({ name: 1 })
      .populate('client', 'name -_id')
      .populate({ path: 'partners', select: 'name', options: { sort: { name: -1 } } })
      .lean<{ name: string; client: { name: string }; partners: { name: string }[] }[]>();
    expect(projects.map((p) => [p.name, p.client.name, p.partners.map((c) => c.name)])).toEqual([
      ['Audit', 'Globex', []],
      ['Rollout', 'Acme', ['Initech', 'Globex']],
    ]);

    const project = await Project.findOne({ name: 'Rollout' });
    await project!.populate('client');
    expect((project!.client as unknown as { country: string }).country).toBe('US');

    // Virtual populate (one-to-many from the other side), with a count variant.
    const clientSchema = new Schema({ name: String });
    clientSchema.virtual('projects', {
      ref: 'PopProject',
      localField: '_id',
      foreignField: 'partners',
    });
    clientSchema.virtual('projectCount', {
      ref: 'PopProject',
      localField: '_id',
      foreignField: 'partners',
      count: true,
    });
    const ClientView = conn.model('PopClientView', clientSchema, Client.collection.collectionName);
    const globexView = await ClientView.findById(globex!._id).populate([
      'projects',
      'projectCount',
    ]);
    expect(globexView?.get('projectCount')).toBe(1);
    expect((globexView?.get('projects') as { name: string }[]).map((p) => p.name)).toEqual([
      'Rollout',
    ]);
  });

  it('joins with aggregate $lookup', async () => {
    const Customer = conn.model('AggCustomer', new Schema({ name: String }));
    const Invoice = conn.model(
      'AggInvoice',
      new Schema({ customer: Schema.Types.ObjectId, amount: Number, paid: Boolean }),
    );
    const [a, b] = await Customer.create([{ name: 'A' }, { name: 'B' }]);
    await Invoice.create([
      { customer: a!._id, amount: 100, paid: true },
      { customer: a!._id, amount: 50, paid: false },
      { customer: b!._id, amount: 70, paid: false },
    ]);

    const totals = await Customer.aggregate<{ name: string; open: number; count: number }>([
      {
        $lookup: {
          from: Invoice.collection.collectionName,
          localField: '_id',
          foreignField: 'customer',
          as: 'invoices',
        },
      },
      {
        $project: {
          _id: 0,
          name: 1,
          count: { $size: '$invoices' },
          open: {
            $sum: {
              $map: {
                input: { $filter: { input: '$invoices', cond: { $eq: ['$$this.paid', false] } } },
                in: '$$this.amount',
              },
            },
          },
        },
      },
      { $sort: { name: 1 } },
    ]);
    expect(totals).toEqual([
      { name: 'A', count: 2, open: 50 },
      { name: 'B', count: 1, open: 70 },
    ]);

    const grouped = await Invoice.aggregate<{ _id: string; total: number }>([
      { $lookup: { from: 'aggcustomers', localField: 'customer', foreignField: '_id', as: 'c' } },
      { $unwind: '$c' },
      { $group: { _id: '$c.name', total: { $sum: '$amount' } } },
      { $sort: { total: -1 } },
    ]);
    expect(grouped).toEqual([
      { _id: 'A', total: 150 },
      { _id: 'B', total: 70 },
    ]);
  });
});

describe('schema types', () => {
  it('updates subdocument arrays by position, array filter and document save', async () => {
    const Order = conn.model(
      'SubOrder',
      new Schema({ ref: String, items: [new Schema({ sku: String, qty: Number })] }),
    );
    const order = await Order.create({
      ref: 'o1',
      items: [
        { sku: 'A', qty: 1 },
        { sku: 'B', qty: 2 },
        { sku: 'C', qty: 3 },
      ],
    });
    const qtys = async (): Promise<number[]> =>
      ((await Order.findById(order._id).lean())?.items ?? []).map((item) => item.qty ?? 0);

    await Order.updateOne({ _id: order._id, 'items.sku': 'B' }, { $inc: { 'items.$.qty': 5 } });
    expect(await qtys()).toEqual([1, 7, 3]);

    await Order.updateOne({ _id: order._id, 'items.sku': 'C' }, { $set: { 'items.$.qty': 0 } });
    expect(await qtys()).toEqual([1, 7, 0]);

    await Order.updateOne(
      { _id: order._id },
      { $mul: { 'items.$[big].qty': 10 } },
      { arrayFilters: [{ 'big.qty': { $gte: 5 } }] },
    );
    expect(await qtys()).toEqual([1, 70, 0]);

    await Order.updateOne({ _id: order._id }, { $inc: { 'items.$[].qty': 1 } });
    expect(await qtys()).toEqual([2, 71, 1]);

    const loaded = await Order.findById(order._id);
    const items = loaded!.get('items') as Types.DocumentArray<{ sku: string; qty: number }>;
    items.id(items[0]!._id)!.qty = 42;
    items.push({ sku: 'D', qty: 4 });
    await loaded!.save();
    expect(await qtys()).toEqual([42, 71, 1, 4]);

    await Order.updateOne({ _id: order._id }, { $pull: { items: { sku: 'B' } } });
    const final = await Order.findById(order._id).lean();
    expect(final?.items.map((item) => item.sku)).toEqual(['A', 'C', 'D']);
    expect(final?.items.every((item) => item._id instanceof mongoose.Types.ObjectId)).toBe(true);
  });

  it('stores Decimal128 as BSON decimal and Map as an embedded document', async () => {
    const Rate = conn.model(
      'TypRate',
      new Schema({
        amount: Schema.Types.Decimal128,
        attrs: { type: Map, of: Number },
      }),
    );
    const created = await Rate.create({
      amount: '1234567890.123456789',
      attrs: new Map([
        ['cpu', 2],
        ['ram', 16],
      ]),
    });

    const raw = await conn.db!.collection('typrates').findOne({ _id: created._id });
    expect((raw?.amount as { _bsontype?: string })._bsontype).toBe('Decimal128');
    expect(String(raw?.amount)).toBe('1234567890.123456789');
    expect(raw?.attrs).toEqual({ cpu: 2, ram: 16 });

    const loaded = await Rate.findById(created._id);
    expect(loaded?.get('amount')).toBeInstanceOf(mongoose.Types.Decimal128);
    expect(String(loaded?.get('amount'))).toBe('1234567890.123456789');
    const attrs = loaded?.get('attrs') as Map<string, number>;
    expect(attrs).toBeInstanceOf(Map);
    expect(Object.fromEntries(attrs)).toEqual({ cpu: 2, ram: 16 });

    attrs.set('disk', 100);
    attrs.delete('cpu');
    await loaded!.save();
    await Rate.updateOne(
      { _id: created._id },
      { $inc: { 'attrs.ram': 16, amount: '0.000000001' } },
    );
    const updated = await Rate.findById(created._id);
    expect(Object.fromEntries(updated?.get('attrs') as Map<string, number>)).toEqual({
      ram: 32,
      disk: 100,
    });
    expect(String(updated?.get('amount'))).toBe('1234567890.123456790');

    expect(await Rate.countDocuments({ 'attrs.disk': 100 })).toBe(1);
    expect(await Rate.countDocuments({ 'attrs.cpu': { $exists: true } })).toBe(0);
    expect(
      await Rate.countDocuments({
        amount: { $gt: mongoose.Types.Decimal128.fromString('1234567890.12') },
      }),
    ).toBe(1);
  });

  it('stores UUIDs as BSON binary subtype 4 and finds by them', async () => {
    const Device = conn.model(
      'TypDevice',
      new Schema({ serial: Schema.Types.UUID, owners: [Schema.Types.UUID] }),
    );
    const serial = '0d4e6c6a-9a56-4c3e-8b8b-1f0e2d3c4b5a';
    const owner = '5c2f1a7e-3b4d-4e8f-9a0b-1c2d3e4f5a6b';
    const created = await Device.create({ serial, owners: [owner] });

    const raw = await conn.db!.collection('typdevices').findOne({ _id: created._id });
    expect(raw?.serial).toBeInstanceOf(mongoose.mongo.Binary);
    expect((raw?.serial as InstanceType<typeof mongoose.mongo.Binary>).sub_type).toBe(4);

    const found = await Device.findOne({ serial });
    expect(String(found?.get('serial'))).toBe(serial);
    expect(await Device.countDocuments({ owners: owner })).toBe(1);
    expect(await Device.countDocuments({ serial: owner })).toBe(0);
  });
});

describe('safety', () => {
  it('neutralizes operator injection with sanitizeFilter and drops unknown paths with strictQuery', async () => {
    const safe = await mongoose
      .createConnection(engine.uri, {
        dbName: 'psa_mongoose',
        sanitizeFilter: true,
        serverSelectionTimeoutMS: 5000,
      })
      .asPromise();
    onCleanup(() => safe.close());
    const schema = new Schema(
      { email: String, token: String, profile: Schema.Types.Mixed },
      { strictQuery: true },
    );
    const Account = safe.model('SafAccount', schema);
    await Account.create({ email: 'ada@example.com', token: 'secret', profile: { role: 'admin' } });

    // What a JSON body could carry instead of a string.
    const tokenInput = JSON.parse('{"email":"ada@example.com","token":{"$gt":""}}') as object;
    const profileInput = JSON.parse('{"profile":{"$ne":null}}') as object;
    // The same filters on a connection without the sanitizer match: the operators are live.
    const Unsafe = conn.model('SafAccount', schema);
    expect(await Unsafe.countDocuments({ ...tokenInput })).toBe(1);
    expect(await Unsafe.countDocuments({ ...profileInput })).toBe(1);

    // With sanitizeFilter the operator object is wrapped in $eq: a String path refuses to cast
    // it, a Mixed path sends `{$eq: {$ne: null}}`, which the server compares as a literal value.
    const castError = await rejection<Record<string, unknown>>(
      Account.findOne({ ...tokenInput }).exec(),
    );
    expect(castError).toBeInstanceOf(mongoose.Error.CastError);
    expect(await Account.countDocuments({ ...profileInput })).toBe(0);
    expect(await Account.find({ ...profileInput }).lean()).toEqual([]);

    // Operators the code itself writes still work when marked trusted.
    const trusted = await Account.findOne({
      email: 'ada@example.com',
      token: mongoose.trusted({ $gt: '' }),
    }).lean();
    expect(trusted?.token).toBe('secret');

    // strictQuery: a path that is not in the schema is removed from the filter.
    const stripped = await Account.find({ email: 'ada@example.com', isAdmin: true }).lean();
    expect(stripped).toHaveLength(1);
  });

  it('raises VersionError for a stale save with optimisticConcurrency', async () => {
    const Doc = conn.model(
      'OccDoc',
      new Schema({ title: String, body: String }, { optimisticConcurrency: true }),
    );
    const created = await Doc.create({ title: 'v0', body: '' });
    const first = await Doc.findById(created._id);
    const second = await Doc.findById(created._id);

    first!.set('title', 'v1');
    await first!.save();
    expect(first!.get('__v')).toBe(1);

    second!.set('body', 'stale edit');
    const error = await rejection<Record<string, unknown>>(second!.save());
    expect(error).toBeInstanceOf(mongoose.Error.VersionError);

    const stored = await Doc.findById(created._id).lean();
    expect(stored).toMatchObject({ title: 'v1', body: '', __v: 1 });
  });

  it('refuses session.withTransaction like a standalone mongod and writes nothing', async () => {
    const Ledger = conn.model('TxnLedger', new Schema({ account: String, amount: Number }));
    await Ledger.createCollection();
    const session = await conn.startSession();
    try {
      const error = await rejection<Record<string, unknown>>(
        session.withTransaction(async () => {
          await Ledger.create([{ account: 'a', amount: -10 }], { session });
          await Ledger.create([{ account: 'b', amount: 10 }], { session });
        }),
      );
      // The server answers IllegalOperation (20) as a standalone mongod does; driver 7 reports a
      // write failing with 20 as "does not support retryable writes", the server's error attached.
      expect(error).toBeInstanceOf(mongoose.mongo.MongoServerError);
      expect(String(error.message)).toMatch(/does not support retryable writes/);
      const original = error.originalError as Record<string, unknown>;
      expect(original.code).toBe(20);
      expect(original.codeName).toBe('IllegalOperation');
      expect(String(original.message)).toMatch(/Transaction numbers are only allowed/);
    } finally {
      await session.endSession();
    }
    expect(await Ledger.countDocuments()).toBe(0);
    // The connection is still usable afterwards.
    await Ledger.create({ account: 'c', amount: 1 });
    expect(await Ledger.countDocuments()).toBe(1);
  });
});
