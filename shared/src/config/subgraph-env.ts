import { z } from 'zod';
import { authEnv } from '../auth/auth-config';
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
};
