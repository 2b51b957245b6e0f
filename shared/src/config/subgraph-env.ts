import { z } from 'zod';
import { authEnv } from '../auth/auth-config';
import { DEFAULT_RETRY_POLICY } from '../events/event-bus';
import { commonEnv, envVar } from './load-config';

/** Variables every subgraph reads, beside its own port and database name. */
export const subgraphEnv = {
  ...commonEnv,
  ...authEnv,
  MONGO_URL: envVar.mongoUrl().default('mongodb://127.0.0.1:27017'),
  /** Prepended to the Redis stream names of domain events (deployments sharing one Redis). */
  EVENT_STREAM_PREFIX: z.string().min(1).default('psa:events:'),
  /** How long a write that changes who may see what waits for the other services' read models. */
  EVENT_ACK_TIMEOUT_MS: envVar.positiveInt(2_000),
  /** Attempts at handling an event before it is set aside as a dead letter. */
  EVENT_MAX_ATTEMPTS: envVar.positiveInt(DEFAULT_RETRY_POLICY.maxAttempts),
  /** Pause after an event handler's first failure; it doubles with every further failure. */
  EVENT_RETRY_DELAY_MS: envVar.positiveInt(DEFAULT_RETRY_POLICY.delayMs),
  /** Longest pause between two attempts at an event. */
  EVENT_RETRY_MAX_DELAY_MS: envVar.positiveInt(DEFAULT_RETRY_POLICY.maxDelayMs),
};
