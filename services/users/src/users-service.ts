import path from 'node:path';
import {
  configuredPublicKeys,
  createByIdLoader,
  createEventBus,
  createRedisClient,
  FallbackRevocationStore,
  InMemoryRevocationStore,
  KeySet,
  Outbox,
  outboxModel,
  payloadOf,
  projectAccessChanged,
  projectAccessModel,
  ProjectAccess,
  RedisRevocationStore,
  resolveSigningKey,
  startSubgraphService,
  STREAMS,
  type EventBus,
  type Logger,
  type RevocationStore,
  type StandingSource,
  type SubgraphService,
} from '@psa/shared';
import type { UsersConfig } from './config';
import type { UsersContext } from './context';
import { JWKS_PATH, jwksRoute } from './jwks.route';
import { sessionModel } from './models/session.model';
import { userModel } from './models/user.model';
import { userResolvers } from './resolvers/user.resolver';
import { RevocationCheckingKeySet } from './revocation-checking-key-set';
import { SessionsDomain } from './sessions-domain';
import { USER_DELETED_TOPIC, userDeletedRelay } from './user-deleted.relay';
import { UsersDomain } from './users-domain';

export { loadUsersConfig, type UsersConfig } from './config';
export { JWKS_PATH } from './jwks.route';
export type { SubgraphService } from '@psa/shared';

/** What the users service can be given instead of building it from configuration. */
export interface UsersServiceDeps {
  /**
   * Where ended sessions are recorded. Default: Redis at REDIS_URL when set, else this process's
   * memory (only right when the gateway runs in the same process and shares the instance).
   */
  revocations?: RevocationStore;
  /** Domain events. Default: Redis at REDIS_URL when set, else this process's own bus. */
  events?: EventBus;
}

/**
 * Starts the users subgraph: connects to its database (in the background, retrying), seeds the
 * first admin when configured, keeps its read model of who manages which project from the projects
 * service's events, announces deleted accounts, and serves GraphQL and the JWKS document. Resolves
 * once it listens; `stop()` also closes the Redis client it opened.
 */
export async function startUsersService(
  config: UsersConfig,
  logger: Logger,
  deps: UsersServiceDeps = {},
): Promise<SubgraphService> {
  const signingKey = resolveSigningKey(config);
  // Its own signing key, plus older keys still accepted during a rotation.
  const publicKeys = [
    { kid: signingKey.kid, publicKey: signingKey.publicKey },
    ...configuredPublicKeys(config),
  ];
  const redis =
    !deps.revocations && config.REDIS_URL
      ? createRedisClient(config.REDIS_URL, logger, 'users-revocations')
      : null;
  // Set once connected: while Redis is away, standings come from the database (the record Redis
  // caches), and what could not be marked is marked again when it is back.
  let sessionsDomain: SessionsDomain | null = null;
  const databaseStanding: StandingSource = {
    standing: (identity) =>
      sessionsDomain
        ? sessionsDomain.standingFromDatabase(identity)
        : Promise.reject(new Error('the users database is not connected yet')),
  };
  const revocations =
    deps.revocations ??
    (redis
      ? new FallbackRevocationStore(new RedisRevocationStore(redis), databaseStanding, logger)
      : new InMemoryRevocationStore());
  redis?.on('ready', () => {
    void sessionsDomain
      ?.remarkRecent()
      .then(({ sessions, roles }) => {
        if (sessions + roles > 0) {
          logger.info({ sessions, roles }, 'revocations marked again in Redis');
        }
      })
      .catch((error: unknown) => logger.warn({ err: error }, 'could not mark revocations again'));
  });
  // Signature only: the standing is what `sessionStanding` answers.
  const plainKeys = new KeySet({ staticKeys: publicKeys, logger });
  const tokenSettings = { issuer: config.JWT_ISSUER, audience: config.JWT_AUDIENCE };
  let closing: Promise<void> | null = null;
  const closeRedis = (): Promise<void> =>
    // quit() waits for a connection while Redis is down: then just drop it.
    (closing ??=
      redis && redis.status === 'ready'
        ? redis.quit().then(
            () => undefined,
            () => redis.disconnect(),
          )
        : Promise.resolve(redis?.disconnect()));

  try {
    // One bus for the service and its outbox: startSubgraphService closes it on stop.
    const events = createEventBus(config, logger, 'users', deps.events);
    return await startSubgraphService<UsersContext>({
      name: 'users',
      serviceRoot: path.resolve(__dirname, '..'),
      resolvers: userResolvers,
      config,
      port: config.USERS_PORT,
      dbName: config.USERS_DB,
      keySet: new RevocationCheckingKeySet({ staticKeys: publicKeys, logger }, revocations),
      events,
      logger,
      publicRootFields: ['signUp', 'login', 'refreshSession', 'sessionStanding'],
      routes: { [JWKS_PATH]: jwksRoute(publicKeys) },
      setup: (connection, metrics) => {
        const users = userModel(connection);
        const sessionRecords = sessionModel(connection);
        const sessions = new SessionsDomain(
          sessionRecords,
          users,
          signingKey,
          {
            issuer: config.JWT_ISSUER,
            audience: config.JWT_AUDIENCE,
            ttlSeconds: config.ACCESS_TOKEN_TTL_SECONDS,
            refreshTtlDays: config.REFRESH_TOKEN_TTL_DAYS,
          },
          revocations,
          logger,
        );
        sessionsDomain = sessions;
        const accessRecords = projectAccessModel(connection);
        const access = new ProjectAccess(accessRecords);
        const outboxRecords = outboxModel(connection);
        const outbox = new Outbox(
          outboxRecords,
          events,
          { [USER_DELETED_TOPIC]: userDeletedRelay(users) },
          { logger, ackTimeoutMs: config.EVENT_ACK_TIMEOUT_MS, published: metrics.eventsPublished },
        );
        const domain = new UsersDomain(users, sessions, access, outbox, logger);
        const { ADMIN_USERNAME, ADMIN_EMAIL, ADMIN_PASSWORD } = config;
        return {
          models: [users, sessionRecords, accessRecords, outboxRecords],
          consumers: {
            [STREAMS.projects]: async (event) => {
              const snapshot = payloadOf(projectAccessChanged, event, logger);
              if (snapshot) await access.apply(snapshot);
            },
          },
          outbox,
          initialize: async () => {
            await domain.indexNames();
            if (ADMIN_USERNAME && ADMIN_EMAIL && ADMIN_PASSWORD) {
              await domain.ensureAdmin({
                username: ADMIN_USERNAME,
                email: ADMIN_EMAIL,
                password: ADMIN_PASSWORD,
              });
            }
          },
          // Without Redis the service is degraded, not down: sessions are checked in the database.
          readiness: (): Record<string, boolean> =>
            config.REDIS_URL ? { redis: revocations.isReady() } : {},
          degradedWithout: ['redis'],
          dispose: closeRedis,
          context: (base) => ({
            ...base,
            loaders: { user: createByIdLoader(users) },
            domain,
            access,
            sessions,
            signedInUserId: null,
            sessionStanding: async (accessToken: string) =>
              sessions.standingFromDatabase(await plainKeys.verify(accessToken, tokenSettings)),
          }),
        };
      },
    });
  } catch (error) {
    await closeRedis();
    throw error;
  }
}
