import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { loadDocumentsConfig, startDocumentsService } from '@psa/documents-service';
import { loadGatewayConfig, startGateway, type Gateway, type GatewayDeps } from '@psa/gateway';
import { loadProjectsConfig, startProjectsService } from '@psa/projects-service';
import {
  loadOrCreateDevSigningKey,
  signingKeyFromPem,
  silentLogger,
  type InProcessHandler,
  type SigningKey,
  type SubgraphService,
} from '@psa/shared';
import { graphqlRequest, type GraphQLResponse, type SubgraphName } from '@psa/shared/testing';
import { loadTasksConfig, startTasksService } from '@psa/tasks-service';
import { loadNotificationsConfig, startNotificationsService } from '@psa/notifications-service';
import { loadTimeConfig, startTimeService } from '@psa/time-service';
import { loadUsersConfig, startUsersService } from '@psa/users-service';

/** The one browser origin the test gateway allows. */
export const CONSOLE_ORIGIN = 'https://console.psa.test';

export const ADMIN = {
  username: 'admin',
  email: 'admin@psa.test',
  password: 'admin password for tests',
};

export interface Graph {
  gatewayUrl: string;
  subgraphUrls: Record<SubgraphName, string>;
  /** Each subgraph's in-process handler (what `npm start` hands its gateway: `GatewayDeps.inProcess`). */
  inProcess: Record<SubgraphName, InProcessHandler>;
  /** The database each subgraph uses in MONGO_URL. */
  databases: Record<SubgraphName, string>;
  signingKey: SigningKey;
  /** The environment the gateway was configured from (subgraph URLs included). */
  gatewayEnv: NodeJS.ProcessEnv;
  /**
   * Starts another gateway in front of the same subgraphs, configured from `gatewayEnv` with
   * `env` on top (its own rate-limit counters unless `env` names a prefix); `stop()` stops it.
   */
  startGateway(env?: NodeJS.ProcessEnv, deps?: GatewayDeps): Promise<Gateway>;
  /** Stops one subgraph (the gateway keeps pointing at its URL). */
  stopSubgraph(name: SubgraphName): Promise<void>;
  /** Starts a stopped subgraph again on its port and databases; resolves once it is ready. */
  startSubgraph(name: SubgraphName): Promise<void>;
  /** Runs an operation through the gateway. */
  query<T = Record<string, unknown>>(
    query: string,
    variables?: Record<string, unknown>,
    headers?: Record<string, string>,
  ): Promise<GraphQLResponse<T>>;
  stop(): Promise<void>;
}

export interface GraphOptions {
  /** Gateway variables on top of the test defaults (e.g. low rate limits). */
  gatewayEnv?: NodeJS.ProcessEnv;
  /** A Redis of the test's own (e.g. one it restarts). Default: the one global setup chose. */
  redisUrl?: string;
  /**
   * Variables for every process on top of the test defaults, e.g. `NODE_ENV: 'production'` with
   * `JWT_PRIVATE_KEY` and `JWT_PUBLIC_KEYS` (then `signingKey` is that key).
   */
  env?: NodeJS.ProcessEnv;
}

/**
 * Every test request comes from 127.0.0.1 and test files share one Redis: each gateway gets its
 * own rate-limit keys and limits no test file reaches, unless a test sets them.
 */
const gatewayTestEnv = (): NodeJS.ProcessEnv => ({
  RATE_LIMIT_KEY_PREFIX: `psa:test:${randomBytes(6).toString('hex')}:`,
  LOGIN_RATE_PER_IP: '10000/min',
  PASSWORD_FAILURES_PER_ACCOUNT: '10000/min',
  SIGNUP_RATE_PER_IP: '10000/min',
});

/**
 * Resolves once the gateway's `/readyz` reports its supergraph loaded and its Redis client
 * connected (rate limits counted before that would go to the in-memory insurance limiter).
 * Other checks (e.g. a revocation store a test made unavailable) are not waited for.
 */
async function gatewayConnected(gateway: Gateway): Promise<void> {
  const readyz = gateway.url.replace(/\/graphql$/, '/readyz');
  for (let attempt = 0; attempt < 200; attempt++) {
    const { checks } = (await (await fetch(readyz)).json()) as { checks: Record<string, boolean> };
    if (checks.supergraph && checks.redis !== false) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`gateway at ${gateway.url} did not connect within 5 s`);
}

/**
 * Boots the real graph for a test file: the six subgraphs and the gateway on free ports, each
 * subgraph on its own fresh databases in the test MongoDB (MONGO_URL from global setup), with a
 * throwaway signing key and the admin seeded.
 */
export async function startGraph(options: GraphOptions = {}): Promise<Graph> {
  const keysDir = mkdtempSync(path.join(os.tmpdir(), 'psa-keys-'));
  const filesDir = mkdtempSync(path.join(os.tmpdir(), 'psa-files-'));
  const suffix = randomBytes(4).toString('hex');
  const env: NodeJS.ProcessEnv = {
    NODE_ENV: 'test',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'silent',
    MONGO_URL: process.env.MONGO_URL,
    REDIS_URL: options.redisUrl ?? process.env.REDIS_URL,
    JWT_KEYS_DIR: keysDir,
    USERS_PORT: '0',
    PROJECTS_PORT: '0',
    TASKS_PORT: '0',
    DOCUMENTS_PORT: '0',
    TIME_PORT: '0',
    NOTIFICATIONS_PORT: '0',
    GATEWAY_PORT: '0',
    USERS_DB: `psa_users_${suffix}`,
    PROJECTS_DB: `psa_projects_${suffix}`,
    TASKS_DB: `psa_tasks_${suffix}`,
    DOCUMENTS_DB: `psa_documents_${suffix}`,
    TIME_DB: `psa_time_${suffix}`,
    NOTIFICATIONS_DB: `psa_notifications_${suffix}`,
    // Reminders are looked for every second: a test waits for one without idling.
    REMINDER_POLL_MS: '1000',
    ADMIN_USERNAME: ADMIN.username,
    ADMIN_EMAIL: ADMIN.email,
    ADMIN_PASSWORD: ADMIN.password,
    CORS_ORIGINS: CONSOLE_ORIGIN,
    // Test files share one Redis: each graph's services exchange events on streams of their own.
    EVENT_STREAM_PREFIX: `psa:test:${suffix}:events:`,
    FILES_DIR: filesDir,
    ...options.env,
  };
  const logger = silentLogger();
  const starters: Record<SubgraphName, (env: NodeJS.ProcessEnv) => Promise<SubgraphService>> = {
    users: (serviceEnv) => startUsersService(loadUsersConfig(serviceEnv), logger),
    projects: (serviceEnv) => startProjectsService(loadProjectsConfig(serviceEnv), logger),
    tasks: (serviceEnv) => startTasksService(loadTasksConfig(serviceEnv), logger),
    documents: (serviceEnv) => startDocumentsService(loadDocumentsConfig(serviceEnv), logger),
    time: (serviceEnv) => startTimeService(loadTimeConfig(serviceEnv), logger),
    notifications: (serviceEnv) =>
      startNotificationsService(loadNotificationsConfig(serviceEnv), logger),
  };
  // Each subgraph as it runs now (null while a test has it stopped).
  const running: Partial<Record<SubgraphName, SubgraphService | null>> = {};
  const started: { stop(): Promise<void> }[] = [];
  const startSubgraph = async (name: SubgraphName, serviceEnv = env) => {
    const service = await starters[name](serviceEnv);
    running[name] = service;
    return service;
  };
  const stop = async (): Promise<void> => {
    for (const service of started.reverse()) await service.stop();
    rmSync(keysDir, { recursive: true, force: true });
    rmSync(filesDir, { recursive: true, force: true });
  };
  try {
    const services = {} as Record<SubgraphName, SubgraphService>;
    for (const name of Object.keys(starters) as SubgraphName[]) {
      services[name] = await startSubgraph(name);
      started.push({ stop: async () => void (await running[name]?.stop()) });
    }
    const { users, projects, tasks, documents, time, notifications } = services;
    const gatewayEnv: NodeJS.ProcessEnv = {
      ...env,
      ...gatewayTestEnv(),
      USERS_URL: users.url,
      PROJECTS_URL: projects.url,
      TASKS_URL: tasks.url,
      DOCUMENTS_URL: documents.url,
      TIME_URL: time.url,
      NOTIFICATIONS_URL: notifications.url,
      ...options.gatewayEnv,
    };
    const gateway = await startGateway(loadGatewayConfig(gatewayEnv), logger);
    started.push(gateway);
    await Promise.all([
      gatewayConnected(gateway),
      users.whenReady(),
      projects.whenReady(),
      tasks.whenReady(),
      documents.whenReady(),
      time.whenReady(),
      notifications.whenReady(),
    ]);
    return {
      gatewayUrl: gateway.url,
      subgraphUrls: {
        users: users.url,
        projects: projects.url,
        tasks: tasks.url,
        documents: documents.url,
        time: time.url,
        notifications: notifications.url,
      },
      inProcess: {
        users: users.handleInProcess,
        projects: projects.handleInProcess,
        tasks: tasks.handleInProcess,
        documents: documents.handleInProcess,
        time: time.handleInProcess,
        notifications: notifications.handleInProcess,
      },
      databases: {
        users: env.USERS_DB ?? '',
        projects: env.PROJECTS_DB ?? '',
        tasks: env.TASKS_DB ?? '',
        documents: env.DOCUMENTS_DB ?? '',
        time: env.TIME_DB ?? '',
        notifications: env.NOTIFICATIONS_DB ?? '',
      },
      signingKey: env.JWT_PRIVATE_KEY
        ? signingKeyFromPem(env.JWT_PRIVATE_KEY)
        : loadOrCreateDevSigningKey(keysDir),
      gatewayEnv,
      startGateway: async (extraEnv = {}, deps = {}) => {
        const extra = await startGateway(
          loadGatewayConfig({ ...gatewayEnv, ...gatewayTestEnv(), ...extraEnv }),
          logger,
          deps,
        );
        started.push(extra);
        await gatewayConnected(extra);
        return extra;
      },
      stopSubgraph: async (name) => {
        await running[name]?.stop();
        running[name] = null;
      },
      startSubgraph: async (name) => {
        if (running[name]) throw new Error(`${name} is running`);
        const port = String(services[name].port);
        const service = await startSubgraph(name, { ...env, [`${name.toUpperCase()}_PORT`]: port });
        await service.whenReady();
      },
      query: (query, variables, headers) => graphqlRequest(gateway.url, query, variables, headers),
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
