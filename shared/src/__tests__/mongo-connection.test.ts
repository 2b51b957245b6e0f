import { startEmbeddedMongo, type EmbeddedMongo } from '@psa/embedded-mongo';
import { connectMongo, silentLogger } from '../index';
import { eventually, freePort } from '../testing';

describe('connectMongo', () => {
  it('keeps trying until MongoDB appears, reports not ready while it is gone, and recovers by itself', async () => {
    const port = await freePort();
    const mongo = connectMongo({
      url: `mongodb://127.0.0.1:${port}`,
      dbName: 'psa_reconnect',
      logger: silentLogger(),
      serverSelectionTimeoutMS: 500,
      heartbeatFrequencyMS: 500,
      maxBackoffMs: 200,
    });
    let engine: EmbeddedMongo | null = null;
    try {
      await new Promise((resolve) => setTimeout(resolve, 700));
      expect(mongo.isReady()).toBe(false);

      engine = await startEmbeddedMongo({ port });
      await mongo.whenConnected();
      expect(mongo.isReady()).toBe(true);
      await mongo.connection.collection('things').insertOne({ n: 1 });

      await engine.stop();
      engine = null;
      await eventually(() => !mongo.isReady(), 20_000, 100);

      engine = await startEmbeddedMongo({ port });
      await eventually(() => mongo.isReady(), 20_000, 100);
      expect(await mongo.connection.collection('things').countDocuments()).toBe(0); // a fresh in-memory engine
    } finally {
      await mongo.close();
      await engine?.stop();
    }
  }, 60_000);
});
