import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  Double,
  Int32,
  Long,
  type MongoBulkWriteError,
  type Collection,
  MongoServerError,
  type Db,
  type Document,
} from 'mongodb';
import type { EmbeddedMongo, EngineLogger } from '../index';
import { type Doc, cleanup, connect, onCleanup, rejection, startEngine } from './helpers/engine';

/**
 * Collection validators as MongoDB 7.0 applies them: `$jsonSchema` (MongoDB's dialect) and query
 * operators, validationLevel and validationAction, on every kind of write; collMod; hidden indexes.
 */

const warnings: { obj: object; msg: string | undefined }[] = [];
const logger: EngineLogger = {
  debug() {},
  info() {},
  error() {},
  warn(obj, msg) {
    warnings.push({ obj, msg });
  },
};

let db: Db;
let server: EmbeddedMongo;
let databases = 0;
beforeAll(async () => {
  server = await startEngine({ logger });
  db = (await connect(server.uri)).db('validation');
});
afterAll(cleanup);

/** A collection of its own, created with `options`. */
async function collectionWith(options: Document): Promise<Collection<Doc>> {
  databases += 1;
  const name = `v${databases}`;
  await db.command({ create: name, ...options });
  return db.collection<Doc>(name);
}

const studentSchema = {
  $jsonSchema: {
    bsonType: 'object',
    required: ['name', 'year'],
    properties: {
      name: { bsonType: 'string', description: 'must be a string and is required' },
      year: { bsonType: 'int', minimum: 2017, maximum: 3017 },
      gpa: { bsonType: ['double'] },
      email: { bsonType: 'string', pattern: '@example\\.com$' },
    },
  },
};

async function validationError(promise: Promise<unknown>): Promise<MongoServerError> {
  const error = await rejection(promise);
  expect(error).toBeInstanceOf(MongoServerError);
  expect(error).toMatchObject({ code: 121, message: 'Document failed validation' });
  return error as MongoServerError;
}

describe('$jsonSchema validators on insert', () => {
  it('accepts documents that satisfy the schema and refuses others with code 121 and errInfo', async () => {
    const coll = await collectionWith({ validator: studentSchema });
    await coll.insertOne({ _id: 1, name: 'Ada', year: 2020, gpa: 3.5 });
    const error = await validationError(coll.insertOne({ _id: 2, name: 42, year: 2020 }));
    expect(error.errInfo).toEqual({
      failingDocumentId: 2,
      details: {
        operatorName: '$jsonSchema',
        schemaRulesNotSatisfied: [
          {
            operatorName: 'properties',
            propertiesNotSatisfied: [
              {
                propertyName: 'name',
                description: 'must be a string and is required',
                details: [
                  {
                    operatorName: 'bsonType',
                    specifiedAs: { bsonType: 'string' },
                    reason: 'type did not match',
                    consideredValue: 42,
                    consideredType: 'int',
                  },
                ],
              },
            ],
          },
        ],
      },
    });
    const missing = await validationError(coll.insertOne({ _id: 3, name: 'Bob' }));
    expect(missing.errInfo?.details).toEqual({
      operatorName: '$jsonSchema',
      schemaRulesNotSatisfied: [
        {
          operatorName: 'required',
          specifiedAs: { required: ['name', 'year'] },
          missingProperties: ['year'],
        },
      ],
    });
    expect(await coll.find().toArray()).toEqual([{ _id: 1, name: 'Ada', year: 2020, gpa: 3.5 }]);
  });

  it('tells int, long and double apart with bsonType, and "number" takes them all', async () => {
    const coll = await collectionWith({
      validator: {
        $jsonSchema: {
          properties: {
            i: { bsonType: 'int' },
            l: { bsonType: 'long' },
            d: { bsonType: 'double' },
            n: { bsonType: 'number' },
          },
        },
      },
    });
    await coll.insertOne({ i: new Int32(1), l: Long.fromNumber(1), d: new Double(1), n: 1.5 });
    await coll.insertOne({ n: Long.fromNumber(7) });
    await validationError(coll.insertOne({ i: Long.fromNumber(1) }));
    await validationError(coll.insertOne({ l: 1 }));
    await validationError(coll.insertOne({ d: 1 }));
    await validationError(coll.insertOne({ n: '1' }));
  });

  it('checks enum, bounds, string lengths in code points, patterns and arrays', async () => {
    const coll = await collectionWith({
      validator: {
        $jsonSchema: {
          properties: {
            status: { enum: ['open', 'done'] },
            score: { minimum: 0, maximum: 10, exclusiveMaximum: true },
            code: { bsonType: 'string', minLength: 2, maxLength: 3 },
            email: { pattern: '^[^@]+@[^@]+$' },
            tags: {
              bsonType: 'array',
              minItems: 1,
              maxItems: 3,
              uniqueItems: true,
              items: { bsonType: 'string' },
            },
          },
        },
      },
    });
    await coll.insertOne({ status: 'open', score: 9.5, code: '😀😀', email: 'a@b', tags: ['x'] });
    const rejected: [Document, string][] = [
      [{ status: 'closed' }, 'enum'],
      [{ score: 10 }, 'maximum'],
      [{ score: -1 }, 'minimum'],
      [{ code: 'a' }, 'minLength'],
      [{ code: 'abcd' }, 'maxLength'],
      [{ email: 'nobody' }, 'pattern'],
      [{ tags: [] }, 'minItems'],
      [{ tags: ['a', 'b', 'c', 'd'] }, 'maxItems'],
      [{ tags: ['a', 'a'] }, 'uniqueItems'],
      [{ tags: ['a', 1] }, 'items'],
    ];
    for (const [doc, rule] of rejected) {
      const error = await validationError(coll.insertOne(doc));
      const [property] = (error.errInfo?.details as Document).schemaRulesNotSatisfied[0]
        .propertiesNotSatisfied as Document[];
      expect([Object.keys(doc)[0], property?.details[0].operatorName]).toEqual([
        Object.keys(doc)[0],
        rule,
      ]);
    }
    // Type-specific keywords pass values of other types, as in JSON Schema.
    await coll.insertOne({ score: 'high', email: 5 });
  });

  it('refuses additional properties, and checks nested objects, anyOf and not', async () => {
    const coll = await collectionWith({
      validator: {
        $jsonSchema: {
          bsonType: 'object',
          additionalProperties: false,
          properties: {
            _id: {},
            address: {
              bsonType: 'object',
              required: ['city'],
              properties: { city: { bsonType: 'string' } },
            },
            contact: { anyOf: [{ bsonType: 'string' }, { bsonType: 'null' }] },
            nickname: { not: { enum: ['root'] } },
          },
        },
      },
    });
    await coll.insertOne({ address: { city: 'Oslo' }, contact: null, nickname: 'ada' });
    const extra = await validationError(coll.insertOne({ address: { city: 'Oslo' }, age: 3 }));
    expect((extra.errInfo?.details as Document).schemaRulesNotSatisfied).toEqual([
      {
        operatorName: 'additionalProperties',
        specifiedAs: { additionalProperties: false },
        additionalProperties: ['age'],
      },
    ]);
    await validationError(coll.insertOne({ address: {} }));
    await validationError(coll.insertOne({ contact: 5 }));
    await validationError(coll.insertOne({ nickname: 'root' }));
  });

  it('refuses schemas MongoDB does not accept, creating nothing', async () => {
    for (const [schema, code] of [
      [{ format: 'email' }, 9],
      [{ $ref: '#/definitions/x' }, 9],
      [{ type: 'integer' }, 9],
      [{ bogus: 1 }, 9],
      [{ bsonType: 'integerish' }, 2],
      [{ type: 'string', bsonType: 'string' }, 9],
      [{ minLength: 'three' }, 14],
    ] as const) {
      const error = await rejection(
        db.command({ create: 'refused', validator: { $jsonSchema: schema } }),
      );
      expect([schema, error.code]).toEqual([schema, code]);
    }
    expect(await db.listCollections({ name: 'refused' }).toArray()).toEqual([]);
  });

  it('$jsonSchema also works as a find filter', async () => {
    const coll = await collectionWith({});
    await coll.insertMany([
      { _id: 1, n: 1 },
      { _id: 2, n: 'one' },
    ]);
    const found = await coll
      .find({ $jsonSchema: { properties: { n: { bsonType: 'int' } } } })
      .toArray();
    expect(found).toEqual([{ _id: 1, n: 1 }]);
  });
});

describe('query-operator validators', () => {
  it('refuses documents that do not match, naming the clauses that failed', async () => {
    const coll = await collectionWith({
      validator: { qty: { $gte: 0 }, status: { $in: ['A', 'B'] } },
    });
    await coll.insertOne({ _id: 1, qty: 3, status: 'A' });
    const error = await validationError(coll.insertOne({ _id: 2, qty: -1, status: 'A' }));
    expect(error.errInfo).toEqual({
      failingDocumentId: 2,
      details: {
        operatorName: '$and',
        clausesNotSatisfied: [
          {
            index: 0,
            details: {
              operatorName: '$gte',
              specifiedAs: { qty: { $gte: 0 } },
              reason: 'comparison failed',
              consideredValue: -1,
            },
          },
        ],
      },
    });
    const missing = await validationError(coll.insertOne({ _id: 3, qty: 1 }));
    expect((missing.errInfo?.details as Document).clausesNotSatisfied).toEqual([
      {
        index: 1,
        details: {
          operatorName: '$in',
          specifiedAs: { status: { $in: ['A', 'B'] } },
          reason: 'field was missing',
        },
      },
    ]);
  });

  it('refuses validators with features mongod does not allow there', async () => {
    const error = await rejection(
      db.command({ create: 'where', validator: { $where: 'this.a > 1' } }),
    );
    expect(error).toMatchObject({ code: 224, codeName: 'QueryFeatureNotAllowed' });
  });
});

describe('validation on updates', () => {
  const schema = { $jsonSchema: { required: ['name'], properties: { n: { bsonType: 'int' } } } };

  it('applies to updates, replacements, findAndModify and upserts', async () => {
    const coll = await collectionWith({ validator: schema });
    await coll.insertOne({ _id: 1, name: 'a', n: 1 });
    await coll.updateOne({ _id: 1 }, { $set: { n: 2 } });
    const update = await validationError(coll.updateOne({ _id: 1 }, { $set: { n: 'two' } }));
    expect(update.errInfo).toMatchObject({ failingDocumentId: 1 });
    await validationError(coll.updateMany({}, { $unset: { name: '' } }));
    await validationError(coll.replaceOne({ _id: 1 }, { n: 3 }));
    await validationError(coll.findOneAndUpdate({ _id: 1 }, { $set: { n: 1.5 } }));
    await validationError(coll.findOneAndReplace({ _id: 1 }, { n: 1 }));
    await validationError(coll.updateOne({ _id: 9 }, { $set: { n: 1 } }, { upsert: true }));
    await validationError(coll.findOneAndUpdate({ _id: 10 }, { $set: { n: 1 } }, { upsert: true }));
    expect(await coll.find().toArray()).toEqual([{ _id: 1, name: 'a', n: 2 }]);
    // A bulk write reports the failure per statement.
    const bulk = await rejection<MongoBulkWriteError>(
      coll.bulkWrite([
        { insertOne: { document: { _id: 5, name: 'e' } } },
        { insertOne: { document: { _id: 6 } } },
      ]),
    );
    expect(bulk.writeErrors).toMatchObject([{ index: 1, code: 121 }]);
  });

  it('bypassDocumentValidation lets a write through', async () => {
    const coll = await collectionWith({ validator: schema });
    await coll.insertOne({ _id: 1, n: 'x' }, { bypassDocumentValidation: true });
    await coll.updateOne({ _id: 1 }, { $set: { n: 'y' } }, { bypassDocumentValidation: true });
    await coll.findOneAndUpdate(
      { _id: 1 },
      { $set: { n: 'z' } },
      { bypassDocumentValidation: true },
    );
    expect(await coll.findOne({ _id: 1 })).toEqual({ _id: 1, n: 'z' });
  });

  // The commands of the CRUD specification's "passes bypassDocumentValidation: false" tests,
  // which the Node.js driver cannot send (it omits a false value; see crud-unified.test.ts):
  // here they are sent as the specification has drivers send them.
  it('bypassDocumentValidation: false, sent explicitly, validates as usual', async () => {
    const coll = await collectionWith({ validator: schema });
    const name = coll.collectionName;
    const bypass = { bypassDocumentValidation: false };
    const inserted = await db.command({
      insert: name,
      documents: [{ _id: 1, name: 'a' }],
      ...bypass,
    });
    expect(inserted).toMatchObject({ ok: 1, n: 1 });
    const refused = await db.command({ insert: name, documents: [{ _id: 2 }], ...bypass });
    expect(refused).toMatchObject({ n: 0, writeErrors: [{ index: 0, code: 121 }] });
    const updated = await db.command({
      findAndModify: name,
      query: { _id: 1 },
      update: { $set: { n: 2 } },
      new: true,
      ...bypass,
    });
    expect(updated.value).toEqual({ _id: 1, name: 'a', n: 2 });
    await validationError(
      db.command({ findAndModify: name, query: { _id: 1 }, update: { n: 3 }, ...bypass }),
    );
    const source = await collectionWith({});
    await source.insertMany([{ _id: 1, name: 'x' }]);
    await db.command({
      aggregate: source.collectionName,
      pipeline: [{ $match: {} }, { $out: name }],
      cursor: {},
      ...bypass,
    });
    expect(await coll.find().toArray()).toEqual([{ _id: 1, name: 'x' }]);
    await source.insertOne({ _id: 2, n: 'not an int' });
    await validationError(
      db.command({
        aggregate: source.collectionName,
        pipeline: [{ $out: name }],
        cursor: {},
        ...bypass,
      }),
    );
    expect(await coll.find().toArray()).toEqual([{ _id: 1, name: 'x' }]);
  });

  it('validationLevel moderate lets documents that were already invalid be updated', async () => {
    const coll = await collectionWith({});
    await coll.insertMany([
      { _id: 'valid', name: 'v', n: 1 },
      { _id: 'invalid', n: 'x' },
    ]);
    await db.command({
      collMod: coll.collectionName,
      validator: schema,
      validationLevel: 'moderate',
    });
    await coll.updateOne({ _id: 'invalid' }, { $set: { n: 'still wrong' } });
    await validationError(coll.updateOne({ _id: 'valid' }, { $set: { n: 'wrong' } }));
    await validationError(coll.insertOne({ _id: 'new' }));
    // strict (the default) checks every update.
    await db.command({ collMod: coll.collectionName, validationLevel: 'strict' });
    await validationError(coll.updateOne({ _id: 'invalid' }, { $set: { n: 'again' } }));
    // off checks nothing.
    await db.command({ collMod: coll.collectionName, validationLevel: 'off' });
    await coll.insertOne({ _id: 'unchecked' });
    expect(await coll.countDocuments()).toBe(3);
  });

  it('validationAction warn writes the document and logs the failure', async () => {
    const coll = await collectionWith({ validator: schema, validationAction: 'warn' });
    warnings.length = 0;
    await coll.insertOne({ _id: 'w', n: 'x' });
    expect(await coll.findOne({ _id: 'w' })).toEqual({ _id: 'w', n: 'x' });
    expect(warnings).toEqual([
      {
        msg: 'Document would fail validation',
        obj: expect.objectContaining({
          namespace: `validation.${coll.collectionName}`,
          errInfo: expect.objectContaining({ failingDocumentId: 'w' }),
        }),
      },
    ]);
  });
});

describe('collMod', () => {
  it('sets the validator and its level and action, which listCollections reports', async () => {
    const coll = await collectionWith({});
    await db.command({
      collMod: coll.collectionName,
      validator: { a: { $type: 'string' } },
      validationLevel: 'moderate',
      validationAction: 'error',
    });
    const [info] = await db
      .listCollections({ name: coll.collectionName }, { nameOnly: false })
      .toArray();
    expect(info?.options).toEqual({
      validator: { a: { $type: 'string' } },
      validationLevel: 'moderate',
      validationAction: 'error',
    });
    await validationError(coll.insertOne({ a: 1 }));
  });

  it('answers MongoDB errors for a missing collection, bad values and unknown fields', async () => {
    const coll = await collectionWith({});
    expect(await rejection(db.command({ collMod: 'nope', validator: {} }))).toMatchObject({
      code: 26,
      codeName: 'NamespaceNotFound',
    });
    expect(
      await rejection(db.command({ collMod: coll.collectionName, validationLevel: 'sometimes' })),
    ).toMatchObject({ code: 2, codeName: 'BadValue' });
    expect(
      await rejection(db.command({ collMod: coll.collectionName, validationAction: 'shout' })),
    ).toMatchObject({ code: 2 });
    expect(await rejection(db.command({ collMod: coll.collectionName, bogus: 1 }))).toMatchObject({
      code: 40415,
    });
    expect(
      await rejection(
        db.command({ collMod: coll.collectionName, index: { name: 'nope', hidden: true } }),
      ),
    ).toMatchObject({ code: 27, codeName: 'IndexNotFound' });
    expect(
      await rejection(
        db.command({ collMod: coll.collectionName, index: { name: '_id_', hidden: true } }),
      ),
    ).toMatchObject({ code: 2 });
  });

  it('changes the TTL of an index (expireAfterSeconds_old/_new)', async () => {
    const coll = await collectionWith({});
    await coll.createIndex({ at: 1 }, { expireAfterSeconds: 3600 });
    await coll.insertOne({ _id: 1, at: new Date(Date.now() - 60_000) });
    const reply = await db.command({
      collMod: coll.collectionName,
      index: { keyPattern: { at: 1 }, expireAfterSeconds: 10 },
    });
    expect(reply).toMatchObject({
      expireAfterSeconds_old: 3600,
      expireAfterSeconds_new: 10,
      ok: 1,
    });
    const indexes = await coll.listIndexes().toArray();
    expect(indexes.find((index) => index.name === 'at_1')?.expireAfterSeconds).toBe(10);
    // The TTL monitor goes by the new value: a minute old is past ten seconds.
    server.removeExpiredDocuments();
    expect(await coll.countDocuments()).toBe(0);
  });
});

describe('hidden indexes', () => {
  async function indexKeysExamined(run: () => Promise<unknown>): Promise<number> {
    const before = (await db.admin().serverStatus()).metrics.queryExecutor.scanned as number;
    await run();
    return ((await db.admin().serverStatus()).metrics.queryExecutor.scanned as number) - before;
  }

  it('are not used by the planner nor hintable, but stay maintained and unique', async () => {
    const coll = await collectionWith({});
    await coll.insertMany([
      { _id: 1, a: 1 },
      { _id: 2, a: 2 },
    ]);
    await coll.createIndex({ a: 1 }, { unique: true, hidden: true });
    const [listed] = (await coll.listIndexes().toArray()).filter((index) => index.name === 'a_1');
    expect(listed).toMatchObject({ key: { a: 1 }, unique: true, hidden: true });
    expect(await indexKeysExamined(() => coll.find({ a: 2 }).toArray())).toBe(0);
    expect(await rejection(coll.find({ a: 2 }).hint('a_1').toArray())).toMatchObject({ code: 2 });
    // Still unique while hidden.
    expect(await rejection(coll.insertOne({ _id: 3, a: 1 }))).toMatchObject({ code: 11000 });
    await coll.insertOne({ _id: 3, a: 3 });

    const reply = await db.command({
      collMod: coll.collectionName,
      index: { name: 'a_1', hidden: false },
    });
    expect(reply).toMatchObject({ hidden_old: true, hidden_new: false, ok: 1 });
    // Unhidden, it holds the documents written while it was hidden.
    expect(await indexKeysExamined(() => coll.find({ a: 3 }).toArray())).toBe(1);
    expect(await coll.find({ a: 3 }).toArray()).toEqual([{ _id: 3, a: 3 }]);
    const hidden = await db.command({
      collMod: coll.collectionName,
      index: { keyPattern: { a: 1 }, hidden: true },
    });
    expect(hidden).toMatchObject({ hidden_old: false, hidden_new: true });
  });
});

describe('persistence', () => {
  it('validators, levels, actions and hidden flags survive a restart', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'embedded-mongo-validation-'));
    onCleanup(() => rm(dir, { recursive: true, force: true }));
    const first = await startEngine({ dbPath: dir });
    const before = (await connect(first.uri)).db('kept');
    await before.command({ create: 'people', validator: { name: { $type: 'string' } } });
    await before.collection('people').createIndex({ name: 1 });
    await before.command({
      collMod: 'people',
      validationAction: 'error',
      validationLevel: 'moderate',
      index: { name: 'name_1', hidden: true },
    });
    await first.stop();

    const second = await startEngine({ dbPath: dir });
    const after = (await connect(second.uri)).db('kept');
    const [info] = await after.listCollections({ name: 'people' }, { nameOnly: false }).toArray();
    expect(info?.options).toEqual({
      validator: { name: { $type: 'string' } },
      validationAction: 'error',
      validationLevel: 'moderate',
    });
    const indexes = await after.collection('people').listIndexes().toArray();
    expect(indexes.find((index) => index.name === 'name_1')?.hidden).toBe(true);
    await validationError(after.collection('people').insertOne({ name: 5 }));
  });
});
