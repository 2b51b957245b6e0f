import { ensureConsoleBuilt } from '../../scripts/console-build';
import { browserTestsSelected, ensureChromium } from '../helpers/chromium';
import { startMongo, startRedis, type BackingService } from './backing-services';

declare global {
  var __PSA_BACKING_SERVICES__: BackingService[] | undefined;
}

/**
 * Jest global setup: installs Chromium when the browser tests will run and it is missing, builds the
 * web console if stale, starts (or picks) MongoDB and Redis once; workers read MONGO_URL and
 * REDIS_URL.
 */
export default async function globalSetup(globalConfig: {
  /** Jest's GlobalConfig: the path pattern of the test files that will run. */
  testPathPattern?: string;
}): Promise<void> {
  // Before anything slow, so a machine that cannot install it fails at once with the command.
  if (browserTestsSelected(globalConfig.testPathPattern))
    ensureChromium((command) =>
      process.stdout.write(`\nInstalling Chromium for the browser tests (${command}; once)…\n`),
    );
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
