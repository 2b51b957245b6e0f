/** Test helpers for every package's tests: `@psa/shared/testing`. Not for production code. */
export {
  startServiceUnderTest,
  type AuthHeaders,
  type ServiceUnderTest,
  type ServiceUnderTestOptions,
  type SubgraphName,
  type TokenConfig,
} from './service-under-test';
export {
  bearer,
  Cleanup,
  eventually,
  graphqlClient,
  graphqlRequest,
  type GraphQLClient,
  mintAccessToken,
  randomId,
  type GraphQLBody,
  type GraphQLResponse,
} from './test-kit';
export { freePort, startRedisServer, type RedisServer } from './redis-server';
export { listenTo, type ChannelListener } from './channel-listener';
export { processUsage, type ProcessUsage } from './process-usage';
