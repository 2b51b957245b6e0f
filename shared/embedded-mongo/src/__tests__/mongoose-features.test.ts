import mongoose, { Schema, type Connection } from 'mongoose';
import { cleanup, onCleanup, rejection, startEngine } from './helpers/engine';

/**
 * Collection features through mongoose 9, as an application declares them in schema options:
 * validators, capped, clustered and time-series collections, hashed indexes, explain.
 */

let conn: Connection;

beforeAll(async () => {
  const engine = await startEngine();
  conn = await mongoose
    .createConnection(engine.uri, { dbName: 'psa_features', serverSelectionTimeoutMS: 5000 })
    .asPromise();
  onCleanup(() => conn.close());
});

afterAll(cleanup);

describe('collection features through mongoose', () => {
  it('a $jsonSchema validator refuses what bypasses mongoose validation', async () => {
    const Invoice = conn.model('Invoice', new Schema({ amount: Number }, { strict: false }));
    await Invoice.createCollection({
      validator: {
        $jsonSchema: {
          required: ['amount'],
          properties: { amount: { bsonType: 'number', minimum: 0 } },
        },
      },
    });
    await Invoice.create({ amount: 10 });
    const error = await rejection(Invoice.create({ amount: -1 }));
    expect(error).toMatchObject({ code: 121 });
    await rejection(Invoice.updateOne({}, { $set: { amount: -5 } }));
    expect(await Invoice.find({}, { _id: 0, amount: 1 }).lean()).toEqual([{ amount: 10 }]);
  });

  it('capped and time-series schema options and a clustered createCollection', async () => {
    const Log = conn.model('Log', new Schema({ line: String }, { capped: { size: 4096, max: 2 } }));
    await Log.init();
    await Log.create([{ line: 'a' }, { line: 'b' }, { line: 'c' }]);
    expect((await Log.find({}, { _id: 0, line: 1 }).lean()).map((doc) => doc.line)).toEqual([
      'b',
      'c',
    ]);

    const Reading = conn.model(
      'Reading',
      new Schema(
        { at: Date, sensor: String, value: Number },
        { timeseries: { timeField: 'at', metaField: 'sensor', granularity: 'hours' } },
      ),
    );
    await Reading.init();
    await Reading.create({ at: new Date('2026-12-01T00:00:00Z'), sensor: 's1', value: 3 });
    expect(await Reading.countDocuments({ sensor: 's1' })).toBe(1);
    const collections = await conn
      .getClient()
      .db('psa_features')
      .listCollections({ name: 'readings' })
      .toArray();
    expect(collections[0]?.type).toBe('timeseries');

    const Event = conn.model('Event', new Schema({ _id: Number, kind: String }));
    await Event.createCollection({ clusteredIndex: { key: { _id: 1 }, unique: true } });
    await Event.create([
      { _id: 2, kind: 'b' },
      { _id: 1, kind: 'a' },
    ]);
    expect((await Event.find().lean()).map((doc) => doc._id)).toEqual([1, 2]);
  });

  it('a hashed index declared in the schema is used for equality, as explain shows', async () => {
    const schema = new Schema({ tenant: String });
    schema.index({ tenant: 'hashed' });
    const Row = conn.model('Row', schema);
    await Row.init();
    await Row.create([{ tenant: 't1' }, { tenant: 't2' }]);
    const explained = (await Row.find({ tenant: 't1' }).explain('executionStats')) as unknown as {
      queryPlanner: { winningPlan: { inputStage: { indexName: string } } };
      executionStats: { nReturned: number };
    };
    expect(explained.queryPlanner.winningPlan.inputStage.indexName).toBe('tenant_hashed');
    expect(explained.executionStats.nReturned).toBe(1);
  });
});
