import path from 'node:path';
import {
  configuredPublicKeys,
  createByIdLoader,
  KeySet,
  resolveSigningKey,
  startSubgraphService,
  type Logger,
  type SubgraphService,
} from '@psa/shared';
import type { UsersConfig } from './config';
import type { UsersContext } from './context';
import { sessionModel } from './models/session.model';
import { userModel } from './models/user.model';
import { userResolvers } from './resolvers/user.resolver';
import { UsersDomain } from './users-domain';

export { loadUsersConfig, type UsersConfig } from './config';
export type { SubgraphService } from '@psa/shared';

/**
 * Starts the users subgraph: connects to its database (in the background, retrying), seeds the
 * first admin when configured, and serves GraphQL. Resolves once it listens.
 */
export function startUsersService(config: UsersConfig, logger: Logger): Promise<SubgraphService> {
  const signingKey = resolveSigningKey(config);
  return startSubgraphService<UsersContext>({
    name: 'users',
    serviceRoot: path.resolve(__dirname, '..'),
    resolvers: userResolvers,
    config,
    port: config.USERS_PORT,
    dbName: config.USERS_DB,
    // Its own signing key, plus older keys still accepted during a rotation.
    keySet: new KeySet({
      staticKeys: [
        { kid: signingKey.kid, publicKey: signingKey.publicKey },
        ...configuredPublicKeys(config),
      ],
      logger,
    }),
    logger,
    publicRootFields: ['signUp', 'login', 'refreshSession'],
    setup: (connection) => {
      const users = userModel(connection);
      const sessions = sessionModel(connection);
      const domain = new UsersDomain(
        users,
        sessions,
        signingKey,
        {
          issuer: config.JWT_ISSUER,
          audience: config.JWT_AUDIENCE,
          ttlSeconds: config.ACCESS_TOKEN_TTL_SECONDS,
          refreshTtlDays: config.REFRESH_TOKEN_TTL_DAYS,
        },
        logger,
      );
      const { ADMIN_USERNAME, ADMIN_EMAIL, ADMIN_PASSWORD } = config;
      return {
        models: [users, sessions],
        initialize: async () => {
          if (ADMIN_USERNAME && ADMIN_EMAIL && ADMIN_PASSWORD) {
            await domain.ensureAdmin({
              username: ADMIN_USERNAME,
              email: ADMIN_EMAIL,
              password: ADMIN_PASSWORD,
            });
          }
        },
        context: (base) => ({
          ...base,
          loaders: { user: createByIdLoader(users) },
          domain,
          signedInUserId: null,
        }),
      };
    },
  });
}
