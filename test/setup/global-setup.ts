import { ensureConsoleBuilt } from '../../scripts/console-build';
import { startMongo, startRedis, type BackingService } from './backing-services';

declare global {
  var __PSA_BACKING_SERVICES__: BackingService[] | undefined;
}

/**
 * Jest global setup: builds the web console if stale, starts (or picks) MongoDB and Redis once;
 * workers read MONGO_URL and REDIS_URL.
 */
export default async function globalSetup(): Promise<void> {
  // Once, before any test file: the browser test and the dev stack's test both serve web/dist, and
  // two builds at once in parallel workers would write into the same folder.
  const failure = ensureConsoleBuilt(() => process.stdout.write('\nBuilding the web console…\n'));
  if (failure !== null) throw new Error(`web console build failed:\n${failure}`);
  const [mongo, redis] = await Promise.all([startMongo(), startRedis()]);
  globalThis.__PSA_BACKING_SERVICES__ = [mongo, redis];
  process.env.MONGO_URL = mongo.url;
  process.env.REDIS_URL = redis.url;
  process.stdout.write(`\nTests use MongoDB: ${mongo.description}; Redis: ${redis.description}\n`);
}
