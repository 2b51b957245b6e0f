import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Role } from '../auth/access-token';
import { loadOrCreateDevSigningKey, type SigningKey } from '../auth/signing-keys';
import type { SubgraphService } from '../http/subgraph-service';
import { createEventBus } from '../events/domain-events';
import type { EventBus } from '../events/event-bus';
import { silentLogger, type Logger } from '../logging/logger';
import { bearer, mintAccessToken, randomId, type Cleanup } from './test-kit';

/** The subgraphs {@link startServiceUnderTest} knows the variable names of. */
export type SubgraphName = 'users' | 'projects' | 'tasks' | 'documents' | 'time' | 'notifications';

/** What a service's configuration must carry for tests to mint tokens it accepts. */
export interface TokenConfig {
  JWT_ISSUER: string;
  JWT_AUDIENCE: string;
}

/** Headers of a user with `role` (by default one with a fresh id), with a token signed by `key`. */
export type AuthHeaders = (role: Role, userId?: string, key?: SigningKey) => Record<string, string>;

export interface ServiceUnderTestOptions<C extends TokenConfig> {
  name: SubgraphName;
  /** The service's config loader (e.g. `loadTasksConfig`); it gets the test environment. */
  load(env: NodeJS.ProcessEnv): C;
  /** The service's start function (e.g. `startTasksService`). */
  start(config: C, logger: Logger): Promise<SubgraphService>;
  /** Stopping the service, and removing a keys directory the helper made, are added to it. */
  cleanup: Cleanup;
  /** Variables added to, or overriding, the test environment. Default none. */
  env?: NodeJS.ProcessEnv;
  /** Default a silent logger. */
  logger?: Logger;
  /**
   * The directory of the development signing key (`JWT_KEYS_DIR`), e.g. another instance's to
   * trust the same tokens. Default a fresh temporary directory, removed by `cleanup`.
   */
  keysDir?: string;
}

/** A started service and what its tests need to talk to it. */
export interface ServiceUnderTest<C extends TokenConfig = TokenConfig> {
  service: SubgraphService;
  config: C;
  /** The environment the config was loaded from: pass it as `env` to restart on the same database. */
  env: NodeJS.ProcessEnv;
  /** The key in `keysDir`, which the service trusts (and, for users, signs with). */
  signingKey: SigningKey;
  keysDir: string;
  /** Headers with a token the service trusts, unless another `key` is given. */
  auth: AuthHeaders;
  /**
   * The service's domain event streams (its own Redis prefix): tests publish what other services
   * would (`events.publish(...)`, then `events.handledBy(...)` to wait for the service).
   */
  events: EventBus;
}

/**
 * Starts a subgraph the way its tests need it: on a free port of 127.0.0.1, in the MongoDB jest's
 * global setup chose (`MONGO_URL`) on a database of its own (`psa_<name>_<random id>`), with a
 * development signing key, and silent. Resolves once the service is ready; its stop is added to
 * `cleanup` first. Throws what `load` throws (a `ConfigError` for a bad `env`) or `start` rejects
 * with, and rejects if the service fails to initialize.
 */
export async function startServiceUnderTest<C extends TokenConfig>(
  options: ServiceUnderTestOptions<C>,
): Promise<ServiceUnderTest<C>> {
  const { name, cleanup } = options;
  let keysDir = options.keysDir;
  if (keysDir === undefined) {
    const dir = mkdtempSync(path.join(tmpdir(), `psa-${name}-keys-`));
    cleanup.add(() => rmSync(dir, { recursive: true, force: true }));
    keysDir = dir;
  }
  const signingKey = loadOrCreateDevSigningKey(keysDir);
  const prefix = name.toUpperCase();
  const env: NodeJS.ProcessEnv = {
    NODE_ENV: 'test',
    HOST: '127.0.0.1',
    [`${prefix}_PORT`]: '0',
    LOG_LEVEL: 'silent',
    MONGO_URL: process.env.MONGO_URL,
    [`${prefix}_DB`]: `psa_${name}_${randomId()}`,
    JWT_KEYS_DIR: keysDir,
    REDIS_URL: process.env.REDIS_URL,
    EVENT_STREAM_PREFIX: `psa:test:${randomId()}:`,
    ...options.env,
  };
  const config = options.load(env);
  const tokenSettings = { issuer: config.JWT_ISSUER, audience: config.JWT_AUDIENCE };
  const logger = options.logger ?? silentLogger();
  const service = await options.start(config, logger);
  cleanup.add(() => service.stop());
  await service.whenReady();
  const events = createEventBus(
    { REDIS_URL: env.REDIS_URL, EVENT_STREAM_PREFIX: env.EVENT_STREAM_PREFIX ?? '' },
    logger,
    `${name}-test`,
  );
  cleanup.add(() => events.close());
  return {
    service,
    config,
    env,
    signingKey,
    keysDir,
    events,
    auth: (role, userId, key = signingKey) =>
      bearer(mintAccessToken(key, tokenSettings, role, userId)),
  };
}
