import net from 'node:net';
import { startEmbeddedMongo, type EmbeddedMongo } from '@psa/embedded-mongo';
import { connectMongo, silentLogger } from '../index';

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Polls `condition` every 100 ms until it holds; fails after `ms`. */
async function eventually(condition: () => boolean, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

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
      await eventually(() => !mongo.isReady());

      engine = await startEmbeddedMongo({ port });
      await eventually(() => mongo.isReady());
      expect(await mongo.connection.collection('things').countDocuments()).toBe(0); // a fresh in-memory engine
    } finally {
      await mongo.close();
      await engine?.stop();
    }
  }, 60_000);
});
