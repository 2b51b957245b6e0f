/** Test helpers for every package's tests: `@psa/shared/testing`. Not for production code. */
export {
  bearer,
  Cleanup,
  graphqlRequest,
  mintAccessToken,
  randomId,
  type GraphQLBody,
  type GraphQLResponse,
} from './test-kit';
