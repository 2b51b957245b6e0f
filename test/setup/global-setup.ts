import { startMongo, startRedis, type BackingService } from './backing-services';

declare global {
  var __PSA_BACKING_SERVICES__: BackingService[] | undefined;
}

/** Jest global setup: starts (or picks) MongoDB and Redis once; workers read MONGO_URL and REDIS_URL. */
export default async function globalSetup(): Promise<void> {
  const [mongo, redis] = await Promise.all([startMongo(), startRedis()]);
  globalThis.__PSA_BACKING_SERVICES__ = [mongo, redis];
  process.env.MONGO_URL = mongo.url;
  process.env.REDIS_URL = redis.url;
  process.stdout.write(`\nTests use MongoDB: ${mongo.description}; Redis: ${redis.description}\n`);
}
