/**
 * `npm start`: the whole graph in one process on the embedded defaults — the embedded MongoDB
 * engine (data in .data/mongo, kept across restarts; DATA_DIR moves it), the five subgraphs and
 * the gateway — with the first admin seeded and the URLs printed. MONGO_URL switches to a real
 * MongoDB. Ctrl-C or SIGTERM stops everything.
 */
import path from 'node:path';
import { startEmbeddedMongo, type EmbeddedMongo } from '@psa/embedded-mongo';
import { loadDocumentsConfig, startDocumentsService } from '@psa/documents-service';
import { loadGatewayConfig, startGateway } from '@psa/gateway';
import { loadProjectsConfig, startProjectsService } from '@psa/projects-service';
import {
  ConfigError,
  createLogger,
  DEAD_LETTER_SOCKET,
  InMemoryRevocationStore,
  InProcessEventBus,
  InProcessPubSub,
  retryPolicyOf,
  runUntilSignal,
  serveDeadLetters,
  type Stoppable,
} from '@psa/shared';
import { loadTasksConfig, startTasksService } from '@psa/tasks-service';
import { loadNotificationsConfig, startNotificationsService } from '@psa/notifications-service';
import { loadTimeConfig, startTimeService } from '@psa/time-service';
import { loadUsersConfig, startUsersService } from '@psa/users-service';
import { ensureConsoleBuilt, WEB_DIST } from './console-build';

const ROOT = path.resolve(__dirname, '..');

/** Development defaults; any of them can be overridden from the environment. */
const DATA_DIR = path.resolve(ROOT, process.env.DATA_DIR ?? '.data');

const DEV_DEFAULTS: Record<string, string> = {
  NODE_ENV: 'development',
  HOST: '127.0.0.1',
  LOG_LEVEL: 'warn',
  JWT_KEYS_DIR: path.join(DATA_DIR, 'keys'),
  FILES_DIR: path.join(DATA_DIR, 'files'),
  ADMIN_USERNAME: 'admin',
  ADMIN_EMAIL: 'admin@psa.local',
  ADMIN_PASSWORD: 'change me in production please',
  // One event loop runs everything here: more requests in flight only make each dearer (issue 22).
  MAX_CONCURRENT_REQUESTS: '8',
};

const env: NodeJS.ProcessEnv = { ...DEV_DEFAULTS, ...process.env };
// Lines for the person at the terminal; JSON when someone runs the stack with NODE_ENV=production.
const logger = createLogger({
  name: 'dev',
  level: env.LOG_LEVEL,
  pretty: env.NODE_ENV !== 'production',
});

/** Builds the web console when its build is missing or older than its sources. */
function consoleBuilt(): boolean {
  const failure = ensureConsoleBuilt(() => process.stdout.write('Building the web console…\n'));
  if (failure === null) return true;
  logger.warn({ output: failure }, 'web console build failed');
  return false;
}

async function startStack(): Promise<Stoppable> {
  // First, before anything listens: the build blocks this process, and the embedded engine runs
  // in it, so services started before it would see their database stop answering meanwhile.
  const consoleReady = env.WEB_DIR ? true : consoleBuilt();
  if (consoleReady) env.WEB_DIR ??= WEB_DIST;
  const stoppables: Stoppable[] = [];
  const stopAll = async (): Promise<void> => {
    for (const stoppable of stoppables.reverse()) await stoppable.stop().catch(() => undefined);
  };
  try {
    let mongo: EmbeddedMongo | null = null;
    if (!env.MONGO_URL) {
      mongo = await startEmbeddedMongo({
        port: Number(env.EMBEDDED_MONGO_PORT ?? 27017),
        dbPath: path.join(DATA_DIR, 'mongo'),
        logger: logger.child({ service: 'embedded-mongo' }),
      });
      stoppables.push(mongo);
      env.MONGO_URL = mongo.uri;
    }
    const subgraphCalls = env.SUBGRAPH_CALLS ?? 'in-process';
    if (subgraphCalls !== 'in-process' && subgraphCalls !== 'http') {
      throw new ConfigError([`SUBGRAPH_CALLS must be in-process or http, not "${subgraphCalls}"`]);
    }
    const usersConfig = loadUsersConfig(env);
    // Without Redis, logouts reach the gateway through one in-process store both share, and the
    // services exchange domain events through one in-process bus, whose dead letters
    // `npm run events` reaches through a socket in the data directory.
    const revocations = env.REDIS_URL ? undefined : new InMemoryRevocationStore();
    const events = env.REDIS_URL
      ? undefined
      : new InProcessEventBus({ logger, retry: retryPolicyOf(usersConfig) });
    const pubsub = env.REDIS_URL ? undefined : new InProcessPubSub();
    if (events) {
      stoppables.push(
        await serveDeadLetters(events, path.join(DATA_DIR, DEAD_LETTER_SOCKET), logger),
      );
    }
    const users = await startUsersService(usersConfig, logger.child({ service: 'users' }), {
      revocations,
      events,
    });
    stoppables.push(users);
    // Everyone verifies tokens with the keys the users service publishes, as in production.
    env.JWKS_URL ??= users.url.replace(/\/graphql$/, '/.well-known/jwks.json');
    const services = await Promise.all([
      startProjectsService(loadProjectsConfig(env), logger.child({ service: 'projects' }), {
        events,
        pubsub,
      }),
      startTasksService(loadTasksConfig(env), logger.child({ service: 'tasks' }), {
        events,
        pubsub,
      }),
      startDocumentsService(loadDocumentsConfig(env), logger.child({ service: 'documents' }), {
        events,
      }),
      startTimeService(loadTimeConfig(env), logger.child({ service: 'time' }), { events }),
      startNotificationsService(
        loadNotificationsConfig(env),
        logger.child({ service: 'notifications' }),
        { events, pubsub },
      ),
    ]);
    stoppables.push(...services);
    const gateway = await startGateway(
      loadGatewayConfig({
        USERS_URL: users.url,
        PROJECTS_URL: services[0].url,
        TASKS_URL: services[1].url,
        DOCUMENTS_URL: services[2].url,
        TIME_URL: services[3].url,
        NOTIFICATIONS_URL: services[4].url,
        ...env,
      }),
      logger.child({ service: 'gateway' }),
      {
        revocations,
        pubsub,
        // Every subgraph runs in this process: the gateway hands them its calls without a socket
        // (same headers, token check and rules as over HTTP). SUBGRAPH_CALLS=http puts them on
        // the wire, e.g. to watch them with a proxy.
        inProcess:
          subgraphCalls === 'http'
            ? {}
            : {
                users: users.handleInProcess,
                projects: services[0].handleInProcess,
                tasks: services[1].handleInProcess,
                documents: services[2].handleInProcess,
                time: services[3].handleInProcess,
                notifications: services[4].handleInProcess,
              },
      },
    );
    stoppables.push(gateway);
    await users.whenReady();
    process.stdout.write(
      [
        '',
        'PSA Graph is up.',
        `  GraphQL API     ${gateway.url}`,
        ...(consoleReady ? [`  Web console     ${gateway.url.replace(/\/graphql$/, '/')}`] : []),
        `  Subgraphs       users ${users.url}, projects ${services[0].url}, tasks ${services[1].url}, documents ${services[2].url}, time ${services[3].url}, notifications ${services[4].url}`,
        `  MongoDB         ${env.MONGO_URL}${mongo ? `  (embedded engine, data in ${path.relative(ROOT, DATA_DIR) || '.'}/mongo)` : ''}`,
        `  Admin login     ${env.ADMIN_USERNAME} / ${env.ADMIN_PASSWORD === DEV_DEFAULTS.ADMIN_PASSWORD ? `"${env.ADMIN_PASSWORD}"` : '(ADMIN_PASSWORD)'}`,
        '  Stop with Ctrl-C. `npm run reset` wipes .data/.',
        '',
      ].join('\n'),
    );
    return { stop: stopAll };
  } catch (error) {
    await stopAll();
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
}

runUntilSignal(logger, startStack);
