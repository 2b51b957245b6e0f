import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mongoose, { Schema } from 'mongoose';
import { startEmbeddedMongo } from '../index';
import { connect, type Doc, onCleanup, rejection, useEngineDatabase } from './helpers/engine';

/**
 * Text indexes and `$text` through the official driver (and mongoose), against MongoDB 7.0's
 * documented semantics: Snowball stemming and stop words per language, OR of terms, phrases,
 * negations, case/diacritic sensitivity, and mongod's scoring formula (fts_spec.cpp).
 */
const engine = useEngineDatabase('text', 't');
const { fresh } = engine;

/** mongod's score of a term occurring `count` times among `n` indexed terms of one string. */
const termScore = (count: number, n: number, weight = 1): number =>
  weight * (2 - 2 ** (1 - count)) * ((0.5 * count) / n + 0.5);

async function ids(cursor: { toArray(): Promise<Doc[]> }): Promise<unknown[]> {
  return (await cursor.toArray()).map((doc) => doc._id);
}

describe('text indexes', () => {
  it('are stored in mongod form: _fts/_ftsx key, weights, languages, version 3', async () => {
    const coll = fresh();
    const name = await coll.createIndex(
      { title: 'text', body: 'text' },
      { weights: { title: 10 }, default_language: 'english' },
    );
    expect(name).toBe('title_text_body_text');
    const index = (await coll.listIndexes().toArray()).find((i) => i.name === name);
    expect(index).toEqual({
      v: 2,
      key: { _fts: 'text', _ftsx: 1 },
      name: 'title_text_body_text',
      weights: { body: 1, title: 10 },
      default_language: 'english',
      language_override: 'language',
      textIndexVersion: 3,
    });
  });

  it('allow one text index per collection: the same again is a no-op, another is IndexOptionsConflict (85)', async () => {
    const coll = fresh();
    await coll.createIndex({ title: 'text' });
    await coll.createIndex({ title: 'text' });
    const error = await rejection(coll.createIndex({ body: 'text' }));
    expect(error.code).toBe(85);
    expect((await coll.listIndexes().toArray()).map((i) => i.name)).toEqual(['_id_', 'title_text']);
  });

  it('refuse invalid definitions with CannotCreateIndex (67)', async () => {
    const coll = fresh();
    const language = await rejection(
      coll.createIndex({ a: 'text' }, { default_language: 'klingon' }),
    );
    expect(language.code).toBe(67);
    const weight = await rejection(coll.createIndex({ a: 'text' }, { weights: { a: 0 } }));
    expect(weight.code).toBe(67);
    const apart = await rejection(coll.createIndex({ a: 'text', b: 1, c: 'text' }));
    expect(apart.code).toBe(67);
    expect(apart.message).toBe("'text' fields in index must all be adjacent");
  });

  it('a document with an unknown language override is refused (17262) and nothing is written', async () => {
    const coll = fresh();
    await coll.createIndex({ body: 'text' });
    const error = await rejection(coll.insertOne({ _id: 1, body: 'hola', language: 'klingon' }));
    expect(error.code).toBe(17262);
    expect(error.message).toBe('language override unsupported: klingon');
    expect(await coll.countDocuments()).toBe(0);
  });
});

describe('$text', () => {
  it('without a text index is IndexNotFound (27)', async () => {
    const coll = fresh();
    await coll.insertOne({ _id: 1, body: 'coffee' });
    const error = await rejection(coll.find({ $text: { $search: 'coffee' } }).toArray());
    expect(error.code).toBe(27);
    expect(error.message).toBe('text index required for $text query');
  });

  it('stems words and drops stop words (english by default)', async () => {
    const coll = fresh();
    await coll.createIndex({ body: 'text' });
    await coll.insertMany([
      { _id: 1, body: 'She runs every morning' },
      { _id: 2, body: 'Running shoes for the trail' },
      { _id: 3, body: 'A quiet evening' },
    ]);
    expect(await ids(coll.find({ $text: { $search: 'run' } }).sort({ _id: 1 }))).toEqual([1, 2]);
    expect(await ids(coll.find({ $text: { $search: 'the for a' } }))).toEqual([]);
  });

  it('ORs terms, requires phrases, and excludes negated terms and phrases', async () => {
    const coll = fresh();
    await coll.createIndex({ body: 'text' });
    await coll.insertMany([
      { _id: 1, body: 'coffee and cake' },
      { _id: 2, body: 'green tea' },
      { _id: 3, body: 'iced coffee with milk' },
      { _id: 4, body: 'milk tea' },
    ]);
    const search = async (text: string): Promise<unknown[]> =>
      ids(coll.find({ $text: { $search: text } }).sort({ _id: 1 }));
    expect(await search('cake tea')).toEqual([1, 2, 4]);
    expect(await search('coffee -milk')).toEqual([1]);
    expect(await search('"iced coffee"')).toEqual([3]);
    expect(await search('milk -"iced coffee"')).toEqual([4]);
    expect(await search('tea "green"')).toEqual([2]);
    // A dash inside a word is no negation: both words are terms.
    expect(await search('cake-tea')).toEqual([1, 2, 4]);
  });

  it('is case and diacritic insensitive unless asked', async () => {
    const coll = fresh();
    await coll.createIndex({ body: 'text' });
    await coll.insertMany([
      { _id: 1, body: 'Café society' },
      { _id: 2, body: 'cafe racer' },
    ]);
    const search = async (filter: Doc): Promise<unknown[]> =>
      ids(coll.find({ $text: { $search: 'cafe', ...filter } }).sort({ _id: 1 }));
    expect(await search({})).toEqual([1, 2]);
    expect(await search({ $caseSensitive: true })).toEqual([2]);
    expect(await ids(coll.find({ $text: { $search: 'café', $diacriticSensitive: true } }))).toEqual(
      [1],
    );
  });

  it('scores as mongod does, and sorts and projects by {$meta: "textScore"}', async () => {
    const coll = fresh();
    await coll.createIndex({ title: 'text', body: 'text' }, { weights: { title: 3 } });
    await coll.insertMany([
      { _id: 1, title: 'tea', body: 'none here' },
      { _id: 2, title: 'other', body: 'tea tea coffee' },
      { _id: 3, title: 'misc', body: 'the quick brown tea' },
    ]);
    const docs = await coll
      .find({ $text: { $search: 'tea' } }, { projection: { score: { $meta: 'textScore' } } })
      .sort({ score: { $meta: 'textScore' } })
      .toArray();
    // _id 1: the whole title is the term (x1.1), weight 3; _id 2: twice among 3 terms; _id 3:
    // once among 3 terms ("the" is a stop word).
    expect(docs.map((d) => d._id)).toEqual([1, 2, 3]);
    expect(docs[0]?.score).toBeCloseTo(termScore(1, 1, 3) * 1.1, 10);
    expect(docs[1]?.score).toBeCloseTo(termScore(2, 3), 10);
    expect(docs[2]?.score).toBeCloseTo(termScore(1, 3), 10);
    expect(docs[0]).toEqual({ _id: 1, title: 'tea', body: 'none here', score: docs[0]?.score });
  });

  it('adds the scores of every term found', async () => {
    const coll = fresh();
    await coll.createIndex({ body: 'text' });
    await coll.insertOne({ _id: 1, body: 'coffee and tea' });
    const [doc] = await coll
      .find(
        { $text: { $search: 'coffee tea' } },
        { projection: { _id: 0, s: { $meta: 'textScore' } } },
      )
      .toArray();
    expect(doc?.s).toBeCloseTo(2 * termScore(1, 2), 10);
  });

  it('combines with the rest of the filter, a limit and countDocuments', async () => {
    const coll = fresh();
    await coll.createIndex({ body: 'text' });
    await coll.insertMany(
      Array.from({ length: 30 }, (_, i) => ({
        _id: i,
        body: i % 2 ? 'odd tea' : 'even tea',
        n: i,
      })),
    );
    expect(await coll.countDocuments({ $text: { $search: 'tea' }, n: { $lt: 10 } })).toBe(10);
    expect(
      await ids(coll.find({ $text: { $search: 'odd' }, n: { $gte: 25 } }).sort({ n: 1 })),
    ).toEqual([25, 27, 29]);
    expect(
      await coll
        .find({ $text: { $search: 'tea' } })
        .limit(4)
        .toArray(),
    ).toHaveLength(4);
  });

  it('a compound text index needs equality on its leading fields', async () => {
    const coll = fresh();
    await coll.createIndex({ tenant: 1, body: 'text' });
    await coll.insertMany([
      { _id: 1, tenant: 'a', body: 'tea' },
      { _id: 2, tenant: 'b', body: 'tea' },
    ]);
    expect(await ids(coll.find({ tenant: 'b', $text: { $search: 'tea' } }))).toEqual([2]);
    const error = await rejection(coll.find({ $text: { $search: 'tea' } }).toArray());
    expect(error.code).toBe(291);
  });

  it('a wildcard text index searches every string field', async () => {
    const coll = fresh();
    await coll.createIndex({ '$**': 'text' });
    await coll.insertMany([
      { _id: 1, a: 'apples', nested: { b: ['pears'] } },
      { _id: 2, c: 'plums', n: 3 },
    ]);
    expect(await ids(coll.find({ $text: { $search: 'pear' } }))).toEqual([1]);
    expect(await ids(coll.find({ $text: { $search: 'plum apple' } }).sort({ _id: 1 }))).toEqual([
      1, 2,
    ]);
  });

  it('stems in the index language, a document language override, or $language', async () => {
    const coll = fresh();
    await coll.createIndex({ body: 'text' }, { default_language: 'none' });
    await coll.insertMany([
      { _id: 1, body: 'running late' },
      { _id: 2, body: 'corriendo rápido', language: 'spanish' },
    ]);
    // 'none': no stemming, so 'run' is not 'running'.
    expect(await ids(coll.find({ $text: { $search: 'run' } }))).toEqual([]);
    expect(await ids(coll.find({ $text: { $search: 'running' } }))).toEqual([1]);
    // The Spanish document was stemmed in Spanish: a Spanish search for another form finds it.
    expect(await ids(coll.find({ $text: { $search: 'corriendo', $language: 'es' } }))).toEqual([2]);
    const error = await rejection(
      coll.find({ $text: { $search: 'x', $language: 'klingon' } }).toArray(),
    );
    expect(error.code).toBe(2);
  });

  it('is refused where mongod refuses it', async () => {
    const coll = fresh();
    await coll.createIndex({ body: 'text' });
    await coll.insertOne({ _id: 1, body: 'tea' });
    const twice = await rejection(
      coll.find({ $and: [{ $text: { $search: 'a' } }, { $text: { $search: 'b' } }] }).toArray(),
    );
    expect(twice.code).toBe(2);
    expect(twice.message).toBe('Too many text expressions');
    const nor = await rejection(coll.find({ $nor: [{ $text: { $search: 'a' } }] }).toArray());
    expect(nor.message).toBe('text expression not allowed in nor');
    // What a client without the driver's typings could send.
    const noSearch = await rejection(
      coll.find({ $text: { $language: 'en' } } as unknown as Doc).toArray(),
    );
    expect(noSearch.code).toBe(14);
    const meta = await rejection(
      coll
        .find({ body: 'tea' })
        .sort({ s: { $meta: 'textScore' } })
        .toArray(),
    );
    expect(meta.code).toBe(40218);
  });

  it('updates and deletes find their documents through the text index', async () => {
    const coll = fresh();
    await coll.createIndex({ body: 'text' });
    await coll.insertMany([
      { _id: 1, body: 'old tea' },
      { _id: 2, body: 'coffee' },
    ]);
    await coll.updateMany({ $text: { $search: 'tea' } }, { $set: { body: 'fresh coffee' } });
    expect(await ids(coll.find({ $text: { $search: 'tea' } }))).toEqual([]);
    expect(await ids(coll.find({ $text: { $search: 'fresh' } }))).toEqual([1]);
    await coll.deleteMany({ $text: { $search: 'coffee' } });
    expect(await coll.countDocuments()).toBe(0);
  });
});

describe('explain of $text', () => {
  it('shows TEXT_MATCH over TEXT_OR over the text index, with the parsed search and its work', async () => {
    const coll = fresh();
    await coll.createIndex({ body: 'text' });
    await coll.insertMany([
      { _id: 1, body: 'green tea' },
      { _id: 2, body: 'black tea' },
      { _id: 3, body: 'coffee' },
    ]);
    const explained = await coll
      .find({ $text: { $search: 'teas -black "green"' } })
      .explain('executionStats');
    expect(explained.queryPlanner.winningPlan).toEqual({
      stage: 'TEXT_MATCH',
      indexPrefix: {},
      indexName: 'body_text',
      parsedTextQuery: {
        terms: ['green', 'tea'],
        negatedTerms: ['black'],
        phrases: ['green'],
        negatedPhrases: [],
      },
      textIndexVersion: 3,
      inputStage: {
        stage: 'TEXT_OR',
        inputStage: {
          stage: 'IXSCAN',
          keyPattern: { _fts: 'text', _ftsx: 1 },
          indexName: 'body_text',
        },
      },
    });
    expect(explained.executionStats.nReturned).toBe(1);
    // 'green' once, 'tea' twice; two documents read.
    expect(explained.executionStats.totalKeysExamined).toBe(3);
    expect(explained.executionStats.totalDocsExamined).toBe(2);
  });
});

describe('$text in aggregation', () => {
  it('runs as the first $match, with the score in $addFields, $project and $sort', async () => {
    const coll = fresh();
    await coll.createIndex({ body: 'text' });
    await coll.insertMany([
      { _id: 1, body: 'tea' },
      { _id: 2, body: 'tea, lemon and cake' },
      { _id: 3, body: 'coffee' },
    ]);
    const docs = await coll
      .aggregate([
        { $match: { $text: { $search: 'tea' } } },
        { $addFields: { score: { $meta: 'textScore' } } },
        { $sort: { score: { $meta: 'textScore' } } },
        { $project: { body: 1, score: 1, again: { $meta: 'textScore' } } },
      ])
      .toArray();
    expect(docs.map((d) => d._id)).toEqual([1, 2]);
    expect(docs[0]?.score).toBeCloseTo(1.1, 10);
    expect(docs[1]?.score).toBeCloseTo(termScore(1, 3), 10);
    expect(docs[1]?.again).toBe(docs[1]?.score);
  });

  it('refuses $text after the first stage (17313) and textScore without $text (40218)', async () => {
    const coll = fresh();
    await coll.createIndex({ body: 'text' });
    await coll.insertOne({ _id: 1, body: 'tea' });
    const late = await rejection(
      coll.aggregate([{ $limit: 5 }, { $match: { $text: { $search: 'tea' } } }]).toArray(),
    );
    expect(late.code).toBe(17313);
    const meta = await rejection(
      coll.aggregate([{ $project: { s: { $meta: 'textScore' } } }]).toArray(),
    );
    expect(meta.code).toBe(40218);
  });

  it('refuses $text in a $lookup pipeline as not supported (238) rather than answer wrongly', async () => {
    const coll = fresh();
    await coll.createIndex({ body: 'text' });
    await coll.insertOne({ _id: 1, body: 'tea' });
    const error = await rejection(
      coll
        .aggregate([
          {
            $lookup: {
              from: coll.collectionName,
              pipeline: [{ $match: { $text: { $search: 'tea' } } }],
              as: 'same',
            },
          },
        ])
        .toArray(),
    );
    expect(error.code).toBe(238);
  });
});

describe('text search through mongoose', () => {
  it('a schema text index serves find({$text}) sorted by score', async () => {
    const conn = await mongoose
      .createConnection(engine.server.uri, {
        dbName: 'text_mongoose',
        serverSelectionTimeoutMS: 5000,
      })
      .asPromise();
    onCleanup(() => conn.close());
    const schema = new Schema({ name: String, description: String });
    schema.index({ name: 'text', description: 'text' }, { weights: { name: 5 } });
    const Project = conn.model('TextProject', schema);
    await Project.init();
    await Project.create([
      { name: 'Website relaunch', description: 'new design' },
      { name: 'Data warehouse', description: 'relaunch of reporting' },
      { name: 'Office move', description: 'boxes' },
    ]);
    const found = await Project.find(
      { $text: { $search: 'relaunching' } },
      { score: { $meta: 'textScore' } },
    )
      .sort({ score: { $meta: 'textScore' } })
      .lean<{ name: string; score: number }[]>();
    expect(found.map((p) => p.name)).toEqual(['Website relaunch', 'Data warehouse']);
    expect(found[0]?.score).toBeCloseTo(termScore(1, 2, 5), 10);
  });
});

describe('text and geo indexes with a data directory', () => {
  it('are rebuilt from the journal after a restart and answer the same', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'embedded-mongo-text-'));
    onCleanup(() => rm(dir, { recursive: true, force: true }));
    const first = await startEmbeddedMongo({ port: 0, dbPath: dir });
    const client = await connect(first.uri);
    const coll = client.db('durable').collection<Doc>('places');
    await coll.createIndex({ name: 'text' }, { default_language: 'english' });
    await coll.createIndex({ loc: '2dsphere' });
    await coll.insertMany([
      { _id: 1, name: 'Running track', loc: { type: 'Point', coordinates: [2.35, 48.85] } },
      { _id: 2, name: 'Swimming pool', loc: { type: 'Point', coordinates: [13.4, 52.52] } },
    ]);
    await client.close();
    await first.stop();

    const second = await startEmbeddedMongo({ port: 0, dbPath: dir });
    onCleanup(() => second.stop());
    const again = (await connect(second.uri)).db('durable').collection<Doc>('places');
    expect(await ids(again.find({ $text: { $search: 'runs' } }))).toEqual([1]);
    const near = again.find({
      loc: { $near: { $geometry: { type: 'Point', coordinates: [13, 52] } } },
    });
    expect(await ids(near)).toEqual([2, 1]);
    const error = await rejection(
      again.insertOne({ _id: 3, loc: { type: 'Point', coordinates: [0] } }),
    );
    expect(error.code).toBe(16755);
  });
});
