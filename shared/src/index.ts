/**
 * @psa/shared — the one front door to what every PSA Graph service uses. Add exports on purpose.
 */
export { ConfigError, commonEnv, configOrExit, envVar, loadConfig } from './config/load-config';
export {
  createLogger,
  REDACTED_PATHS,
  silentLogger,
  type Logger,
  type LoggerOptions,
} from './logging/logger';
export { ErrorCode, HTTP_STATUS } from './errors/error-code';
export {
  BadUserInputError,
  ConflictError,
  DomainError,
  ForbiddenError,
  NotFoundError,
  RateLimitedError,
  UnauthenticatedError,
} from './errors/domain-error';
export { codeOf, createErrorFormatter, isDuplicateKeyError } from './errors/format-error';
export { connectMongo, type MongoHandle, type MongoOptions } from './mongo/mongo-connection';
export { createRedisClient, isRedisReady } from './redis/redis-client';
export { InProcessPubSub, RedisPubSub, type MessageHandler, type PubSub } from './redis/pubsub';
export {
  BodyTooLargeError,
  readBody,
  requestIdFrom,
  requestLoggingPlugin,
  startGraphQLServer,
  type GraphQLServerOptions,
  type IncomingRequest,
  type InProcessHandler,
  type InProcessRequest,
  type InProcessResponse,
  type RequestContextBase,
  type Route,
  type RunningServer,
} from './http/graphql-server';
export {
  DEFAULT_PAGE_SIZE,
  assertUnorderedSearch,
  MAX_PAGE_SIZE,
  NAME_COLLATION,
  decodeCursor,
  emptyConnection,
  encodeCursor,
  pageSize,
  paginate,
  paginateByName,
  paginateSearch,
  type Connection,
  type ConnectionArgs,
  type Edge,
} from './pagination/connection';
export {
  JWT_ALGORITHM,
  keyId,
  loadOrCreateDevSigningKey,
  publicKeyPem,
  signingKeyFromPem,
  verificationKeyFromPem,
  type SigningKey,
  type VerificationKey,
} from './auth/signing-keys';
export {
  ROLES,
  accessTokenKeyId,
  bearerToken,
  hasRole,
  signAccessToken,
  verifyAccessToken,
  type Identity,
  type Role,
  type TokenSettings,
} from './auth/access-token';
export {
  authConfigProblems,
  authEnv,
  configuredPublicKeys,
  createVerifierKeySet,
  resolveSigningKey,
  type AuthConfig,
} from './auth/auth-config';
export { fromJwks, KeySet, toJwk, type KeySetOptions } from './auth/key-set';
export {
  FallbackRevocationStore,
  InMemoryRevocationStore,
  RedisRevocationStore,
  type RevocationStore,
  type StandingSource,
  type TokenStanding,
} from './auth/revocation-store';
export { callerFrom, requireIdentity, type Caller } from './auth/request-identity';
export { startSubgraph, type SubgraphOptions } from './http/subgraph';
export { DateTimeScalar } from './graphql/date-time.scalar';
export { runUntilSignal, type Stoppable } from './process/run-until-signal';
export { toObjectId } from './mongo/object-id';
export { createByIdLoader } from './mongo/by-id-loader';
export { loadTypeDefs, subgraphSdl } from './graphql/type-defs';
export { SUBGRAPH_HEADER_SDL } from './graphql/subgraph-header';
export {
  projectReference,
  taskReference,
  userReference,
  type EntityReference,
  type ProjectReference,
  type TaskReference,
  type UserReference,
} from './graphql/entity-reference';
export {
  callerObjectId,
  oneOf,
  optionalId,
  optionalText,
  requiredId,
  requiredText,
} from './validation/input-rules';
export {
  startSubgraphService,
  type ServiceParts,
  type SubgraphContextBase,
  type SubgraphService,
  type SubgraphServiceOptions,
} from './http/subgraph-service';
export { subgraphEnv } from './config/subgraph-env';
export {
  DEFAULT_RETRY_POLICY,
  type Consumer,
  type ConsumerOptions,
  type DeadLetter,
  type DeadLetterAdmin,
  type DomainEvent,
  type EventBus,
  type EventHandler,
  type PublishedEvent,
  type RetryPolicy,
} from './events/event-bus';
export { InProcessEventBus, type InProcessEventBusOptions } from './events/in-process-event-bus';
export { RedisEventBus, type RedisEventBusOptions } from './events/redis-event-bus';
export { deadLetterSocketClient, serveDeadLetters } from './events/dead-letter-socket';
export { DEAD_LETTER_SOCKET, runEventsCli, type CliOutput } from './events/events-cli';
export {
  allTasksDone,
  budgetThreshold,
  consumerName,
  createEventBus,
  documentShared,
  GROUPS,
  memberAdded,
  parseEvent,
  payloadOf,
  projectAccessChanged,
  projectTimeApproved,
  retryPolicyOf,
  statusUpdatePosted,
  memberRemoved,
  projectCreated,
  projectUpdated,
  documentCreated,
  documentDeleted,
  documentUnshared,
  STREAMS,
  taskChanged,
  timesheetApproved,
  timesheetRejected,
  timesheetSubmitted,
  userDeleted,
  type AllTasksDone,
  type BudgetThreshold,
  type DocumentShared,
  type DocumentCreated,
  type DocumentDeleted,
  type DocumentUnshared,
  type MemberAdded,
  type MemberRemoved,
  type ProjectCreated,
  type ProjectUpdated,
  type StatusUpdatePosted,
  type TaskChanged,
  type TimesheetEvent,
  type ProjectTimeApproved,
  type EventBusConfig,
  type KnownKind,
  type ParsedEvent,
  type ProjectAccessSnapshot,
  type UserDeleted,
} from './events/domain-events';
export { isWebhookEvent, WEBHOOK_EVENTS, type WebhookEvent } from './webhook-events';
export { announce, announceRelay, ANNOUNCE_TOPIC, type AnnouncedKind } from './events/announce';
export {
  Outbox,
  outboxModel,
  type OutboxModel,
  type OutboxOptions,
  type OutboxRecord,
  type OutboxRelay,
  type OutgoingEvent,
} from './events/outbox';
export {
  canManageProject,
  canReadProject,
  isInAudience,
  isOnProject,
  projectReaders,
  readsEveryProject,
  type Audience,
  type ProjectMembership,
} from './auth/project-access';
export {
  ProjectAccess,
  projectAccessModel,
  type ProjectAccessModel,
  type ProjectAccessRecord,
} from './events/project-access-read-model';
export { allOf, SEARCH_MAX, textSearch } from './mongo/query-filters';
export { updatedOrNotFound } from './mongo/updated-or-not-found';
export {
  createOnce,
  CREATION_KEY_FIELD,
  creationKey,
  IDEMPOTENCY_KEY_HEADER,
  withCreationKey,
} from './mongo/create-once';
export {
  createPubSub,
  publishRealtime,
  realtimeChannel,
  userRealtimeChannel,
  type NotificationReceivedMessage,
  type PubSubConfig,
  type RealtimeKind,
  type StatusUpdatedMessage,
  type TaskChangedMessage,
} from './realtime/realtime-channels';
export { ServiceMetrics } from './observability/metrics';
