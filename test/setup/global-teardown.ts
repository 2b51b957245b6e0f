import { MongoClient } from 'mongodb';

/** Databases tests create: a service's database name with a random hex suffix. */
const TEST_DATABASE = /^psa_(users|projects|tasks|documents)_[0-9a-f]{8,}$/;

/**
 * Jest global teardown: drops the databases the tests created (they matter on a real MONGO_URL),
 * then stops what global setup started.
 */
export default async function globalTeardown(): Promise<void> {
  const url = process.env.MONGO_URL;
  if (url) {
    const client = await new MongoClient(url, { serverSelectionTimeoutMS: 5_000 }).connect();
    try {
      const { databases } = await client.db('admin').admin().listDatabases({ nameOnly: true });
      for (const { name } of databases)
        if (TEST_DATABASE.test(name)) await client.db(name).dropDatabase();
    } finally {
      await client.close();
    }
  }
  for (const service of globalThis.__PSA_BACKING_SERVICES__ ?? []) await service.stop();
  globalThis.__PSA_BACKING_SERVICES__ = undefined;
}
