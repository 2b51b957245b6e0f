import { type Doc, rejection, useEngineDatabase } from './helpers/engine';

/** getParameter / setParameter: the parameters the engine honours, mongod's errors for others. */

const engine = useEngineDatabase('parameters', 'p');
const admin = () => engine.client.db('admin');

afterEach(async () => {
  await admin().command({ setParameter: 1, notablescan: false, ttlMonitorEnabled: true });
});

describe('getParameter', () => {
  it('reads named parameters, all of them with "*", and details on request', async () => {
    expect(await admin().command({ getParameter: 1, featureCompatibilityVersion: 1 })).toEqual({
      featureCompatibilityVersion: { version: '7.0' },
      ok: 1,
    });
    const all = await admin().command({ getParameter: '*' });
    expect(all).toMatchObject({ notablescan: false, ttlMonitorEnabled: true, logLevel: 0 });
    const detailed = await admin().command({ getParameter: { showDetails: true }, notablescan: 1 });
    expect(detailed.notablescan).toEqual({
      value: false,
      settableAtRuntime: true,
      settableAtStartup: true,
    });
  });

  it('refuses unknown parameters and databases other than admin', async () => {
    expect(await rejection(admin().command({ getParameter: 1, noSuchThing: 1 }))).toMatchObject({
      code: 72,
      codeName: 'InvalidOptions',
      message: 'no option found to get',
    });
    expect(await rejection(engine.db.command({ getParameter: 1, notablescan: 1 }))).toMatchObject({
      code: 13,
    });
  });
});

describe('setParameter', () => {
  it('sets a parameter and answers its previous value', async () => {
    expect(await admin().command({ setParameter: 1, logLevel: 2 })).toEqual({ was: 0, ok: 1 });
    expect((await admin().command({ getParameter: 1, logLevel: 1 })).logLevel).toBe(2);
    await admin().command({ setParameter: 1, logLevel: 0 });
  });

  it('refuses unknown and startup-only parameters and bad values', async () => {
    expect(await rejection(admin().command({ setParameter: 1, noSuchThing: 5 }))).toMatchObject({
      code: 72,
      message:
        'attempted to set unrecognized parameter [noSuchThing], use help:true to see options ',
    });
    expect(
      await rejection(admin().command({ setParameter: 1, featureCompatibilityVersion: '6.0' })),
    ).toMatchObject({ code: 72 });
    expect(await rejection(admin().command({ setParameter: 1, logLevel: 'loud' }))).toMatchObject({
      code: 2,
    });
  });

  it('notablescan refuses collection scans (291) but not index scans', async () => {
    const coll = engine.fresh();
    await coll.insertMany([
      { _id: 1, a: 1 },
      { _id: 2, a: 2 },
    ]);
    await coll.createIndex({ a: 1 });
    await admin().command({ setParameter: 1, notablescan: true });
    expect(await coll.find({ a: 2 }).toArray()).toEqual([{ _id: 2, a: 2 }]);
    expect(await rejection(coll.find({ b: 1 }).toArray())).toMatchObject({
      code: 291,
      codeName: 'NoQueryExecutionPlans',
    });
    await admin().command({ setParameter: 1, notablescan: false });
    expect(await coll.find({ b: 1 }).toArray()).toEqual([]);
  });

  it('ttlMonitorEnabled: false pauses the TTL monitor', async () => {
    const coll = engine.fresh();
    await coll.createIndex({ at: 1 }, { expireAfterSeconds: 1 });
    await coll.insertOne({ _id: 1, at: new Date(Date.now() - 60_000) } as Doc);
    await admin().command({ setParameter: 1, ttlMonitorEnabled: false });
    expect(engine.server.removeExpiredDocuments()).toBe(0);
    expect(await coll.countDocuments()).toBe(1);
    await admin().command({ setParameter: 1, ttlMonitorEnabled: true });
    expect(engine.server.removeExpiredDocuments()).toBe(1);
  });
});
