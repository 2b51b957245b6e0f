/**
 * Embedded MongoDB engine benchmark: bulk inserts, point lookups by `_id` and by an indexed field
 * at two collection sizes (they should stay flat), and a sorted page through an index. Everything
 * goes through the official driver over TCP, as the services use the engine.
 */
import { MongoClient, type Collection, type Document } from 'mongodb';
import { startEmbeddedMongo } from '@psa/embedded-mongo';
import { measure, type ScenarioResult } from './lib/measure';

interface Sizes {
  small: number;
  large: number;
  lookups: number;
}

async function fill(collection: Collection<Document>, from: number, to: number): Promise<void> {
  const batch = 1000;
  for (let start = from; start < to; start += batch) {
    const docs = [];
    for (let i = start; i < Math.min(to, start + batch); i++) {
      docs.push({
        seq: i,
        email: `user${i}@example.com`,
        status: i % 4 === 0 ? 'DONE' : 'TODO',
        createdAt: new Date(1_700_000_000_000 + i * 1000),
      });
    }
    await collection.insertMany(docs, { ordered: false });
  }
}

async function lookups(
  collection: Collection<Document>,
  count: number,
  size: number,
  label: string,
): Promise<ScenarioResult[]> {
  const ids: unknown[] = (
    await collection
      .find({}, { projection: { _id: 1 } })
      .limit(count)
      .toArray()
  ).map((d) => d._id);
  const pick = (i: number): number => (i * 7919) % size;
  return [
    await measure(`find by _id @${label}`, count, async (i) => {
      await collection.findOne({ _id: ids[i % ids.length] as never });
    }),
    await measure(`find by indexed field @${label}`, count, async (i) => {
      await collection.findOne({ email: `user${pick(i)}@example.com` });
    }),
    await measure(`50-doc page sorted on index @${label}`, Math.ceil(count / 10), async (i) => {
      await collection
        .find({ status: 'TODO' })
        .sort({ createdAt: -1 })
        .skip((i % 10) * 50)
        .limit(50)
        .toArray();
    }),
  ];
}

/** Runs the engine scenarios and returns their figures. */
export async function runEmbeddedMongoBench(full: boolean): Promise<ScenarioResult[]> {
  const sizes: Sizes = full
    ? { small: 1_000, large: 100_000, lookups: 5_000 }
    : { small: 1_000, large: 100_000, lookups: 2_000 };
  const server = await startEmbeddedMongo({ port: 0 });
  const client = await new MongoClient(server.uri, { maxPoolSize: 10 }).connect();
  try {
    const results: ScenarioResult[] = [];
    const db = client.db('bench');
    const collection = db.collection('docs');
    await collection.createIndex({ email: 1 }, { unique: true });
    await collection.createIndex({ status: 1, createdAt: -1 });

    await fill(collection, 0, sizes.small);
    results.push(
      ...(await lookups(collection, sizes.lookups, sizes.small, `${sizes.small / 1000}k`)),
    );

    const inserts = await measure(
      `insertMany ${(sizes.large - sizes.small) / 1000}k docs (batches of 1000)`,
      1,
      async () => {
        await fill(collection, sizes.small, sizes.large);
      },
    );
    inserts.opsPerSecond = ((sizes.large - sizes.small) / inserts.totalMs) * 1000;
    inserts.unit = 'docs/s';
    results.push(inserts);
    results.push(
      ...(await lookups(collection, sizes.lookups, sizes.large, `${sizes.large / 1000}k`)),
    );
    return results;
  } finally {
    await client.close();
    await server.stop();
  }
}
