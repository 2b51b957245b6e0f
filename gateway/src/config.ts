import { z } from 'zod';
import {
  authConfigProblems,
  authEnv,
  commonEnv,
  ConfigError,
  envVar,
  loadConfig,
} from '@psa/shared';

/** A rate: at most `points` operations per `durationSeconds`, per key. */
export interface Rate {
  points: number;
  durationSeconds: number;
}

const UNIT_SECONDS: Record<string, number> = {
  s: 1,
  sec: 1,
  second: 1,
  m: 60,
  min: 60,
  minute: 60,
  h: 3_600,
  hour: 3_600,
  d: 86_400,
  day: 86_400,
};

const RATE = /^(\d+)\s*\/\s*(\d*)\s*([a-z]+)$/i;

/** Parses `20/min`, `10/hour`, `5/15min`, `100/30s` (units s, sec, second, m, min, minute, h, hour, d, day). */
export function parseRate(text: string): Rate | null {
  const match = RATE.exec(text.trim());
  if (!match) return null;
  const [, points, count, unit] = match;
  const name = (unit ?? '').toLowerCase();
  // Plurals (`hours`), but not `ms`: milliseconds are no unit here.
  const seconds =
    UNIT_SECONDS[name] ?? (name.length > 2 ? UNIT_SECONDS[name.replace(/s$/, '')] : 0);
  const durationSeconds = (count ? Number(count) : 1) * (seconds ?? 0);
  if (!Number(points) || !durationSeconds) return null;
  return { points: Number(points), durationSeconds };
}

const rate = (fallback: string) =>
  z
    .string()
    .default(fallback)
    .transform((value, ctx) => {
      const parsed = parseRate(value);
      if (parsed) return parsed;
      ctx.addIssue({
        code: 'custom',
        message: 'must be a rate like 20/min, 10/hour or 5/15min (a positive count per duration)',
      });
      return z.NEVER;
    });

const schema = z.object({
  ...commonEnv,
  ...authEnv,
  GATEWAY_PORT: envVar.port(4000),
  USERS_URL: envVar.httpUrl().default('http://127.0.0.1:4001/graphql'),
  PROJECTS_URL: envVar.httpUrl().default('http://127.0.0.1:4002/graphql'),
  TASKS_URL: envVar.httpUrl().default('http://127.0.0.1:4003/graphql'),
  DOCUMENTS_URL: envVar.httpUrl().default('http://127.0.0.1:4004/graphql'),
  TIME_URL: envVar.httpUrl().default('http://127.0.0.1:4005/graphql'),
  NOTIFICATIONS_URL: envVar.httpUrl().default('http://127.0.0.1:4006/graphql'),
  /** Browser origins allowed to call the API, comma-separated. */
  CORS_ORIGINS: envVar.list().default([]),
  /** Schema introspection; default on outside production. */
  INTROSPECTION: z
    .enum(['true', 'false', '1', '0'], { message: 'must be true or false' })
    .optional()
    .transform((v) => (v === undefined ? undefined : v === 'true' || v === '1')),
  /** Timeout of one subgraph call, ms. */
  SUBGRAPH_TIMEOUT_MS: envVar.positiveInt(10_000),
  /** Deepest field nesting an operation may select (introspection fields aside). */
  MAX_QUERY_DEPTH: envVar.positiveInt(12),
  /**
   * Highest cost an operation may have: each field costs 1, and a field with a `first` argument
   * (or a list field outside a connection) multiplies what it selects by `first` (default 20).
   */
  MAX_QUERY_COST: envVar.positiveInt(10_000),
  /**
   * Most lexical tokens an operation document may hold: parsing stops there, before validation
   * (whose overlapping-fields check grows with the square of a selection's fields) can be made to
   * burn seconds of CPU on thousands of aliases. GraphiQL's introspection query has ~190.
   */
  MAX_QUERY_TOKENS: envVar.positiveInt(2_000),
  /** `login` attempts per client address, right or wrong. */
  LOGIN_RATE_PER_IP: rate('20/min'),
  /**
   * Consecutive wrong passwords per account and client address, for `login` (the account it
   * names), `changePassword` and `deleteAccount` (the caller's); a right password clears the count.
   */
  PASSWORD_FAILURES_PER_ACCOUNT: rate('10/15min'),
  /** `signUp` calls per client address. */
  SIGNUP_RATE_PER_IP: rate('10/hour'),
  /** Prefix of the rate-limit keys in Redis (tests give each gateway its own). */
  RATE_LIMIT_KEY_PREFIX: z.string().min(1).default('psa:rate-limit:'),
  /**
   * Reverse proxies in front of the gateway whose `X-Forwarded-For` entries are trusted. 0 (the
   * default): the client address is the socket's and the header is ignored. Behind one ingress: 1.
   */
  TRUST_PROXY_HOPS: z.coerce.number().int().min(0).max(10).default(0),
  /** A built web console (its `index.html` and assets) to serve at `/`; none when unset. */
  WEB_DIR: z.string().min(1).optional(),
  /** Prefix of the realtime channels in Redis, shared with the subgraphs. */
  EVENT_STREAM_PREFIX: z.string().min(1).default('psa:events:'),
  /** Subscriptions one WebSocket connection may hold. */
  WS_MAX_SUBSCRIPTIONS: envVar.positiveInt(20),
  /** Largest WebSocket message a client may send, bytes. */
  WS_MAX_MESSAGE_BYTES: envVar.positiveInt(65_536),
  /**
   * Results one subscription may have waiting for a client that does not read them; past it the
   * connection is closed with 1013.
   */
  WS_MAX_PENDING_RESULTS: envVar.positiveInt(100),
  /** Time a client has to send `connection_init`, ms. */
  WS_INIT_TIMEOUT_MS: envVar.positiveInt(5_000),
  /** WebSocket ping interval; a client silent for two of them is dropped, ms. */
  WS_KEEPALIVE_MS: envVar.positiveInt(12_000),
  /** How often WebSocket sessions are checked for logout and role changes, ms. */
  WS_SESSION_CHECK_MS: envVar.positiveInt(5_000),
  /**
   * While Redis is down, how long an answer of the users service about a session is reused, ms:
   * a session ended through another gateway is refused here at most this much later.
   */
  SESSION_FALLBACK_CACHE_MS: envVar.positiveInt(2_000),
  /**
   * Client `/graphql` requests the gateway works on at once; the rest wait their turn, in order.
   * 0: no limit (the default: a gateway in its own process mostly waits on its subgraphs).
   * `npm start`, where every subgraph and the engine share the gateway's one core, sets 8: past
   * that, more requests in flight only make each one dearer (issue 22).
   */
  MAX_CONCURRENT_REQUESTS: z.coerce.number().int().min(0).default(0),
  /**
   * How long the gateway trusts an `@immutable` field it has seen (a user's username), ms: the
   * longest a deleted entity can still be shown by another gateway; 0 turns the cache off.
   */
  ENTITY_CACHE_MS: z.coerce.number().int().min(0).default(60_000),
  /** Entities the gateway's entity cache holds at most. */
  ENTITY_CACHE_MAX_ENTRIES: envVar.positiveInt(100_000),
  /** How long the answer to a mutation sent with an `Idempotency-Key` is kept for retries, s. */
  IDEMPOTENCY_TTL_SECONDS: envVar.positiveInt(86_400),
  /** How long a retry waits for a request with its key that is still running before 409, ms. */
  IDEMPOTENCY_WAIT_MS: envVar.positiveInt(10_000),
  /** Prefix of the idempotency keys in Redis. */
  IDEMPOTENCY_KEY_PREFIX: z.string().min(1).default('psa:idempotency:'),
});

export type GatewayConfig = z.infer<typeof schema>;

/** The users service's JWKS document, next to its GraphQL endpoint. */
export const jwksUrlOf = (usersUrl: string): string =>
  new URL('/.well-known/jwks.json', usersUrl).href;

/**
 * The gateway configuration from the environment; throws ConfigError listing every problem.
 *
 * JWKS_URL: as given; in production, when not given, the users service's
 * `/.well-known/jwks.json` (derived from USERS_URL) so key rotations are followed without a
 * restart. Outside production it is never derived: without JWKS_URL and JWT_PUBLIC_KEYS the
 * verifier falls back to the development key file (JWT_KEYS_DIR), which works whether or not the
 * users service serves a JWKS yet.
 */
export function loadGatewayConfig(env: NodeJS.ProcessEnv = process.env): GatewayConfig {
  const parsed = loadConfig(schema, env);
  const production = parsed.NODE_ENV === 'production';
  const config: GatewayConfig = {
    ...parsed,
    JWKS_URL: parsed.JWKS_URL ?? (production ? jwksUrlOf(parsed.USERS_URL) : undefined),
  };
  const problems = authConfigProblems(config, false);
  // It counted every attempt, so anyone could lock an account; silently ignoring it would hide that.
  if (env.LOGIN_RATE_PER_ACCOUNT !== undefined) {
    problems.push(
      'LOGIN_RATE_PER_ACCOUNT: no longer read; PASSWORD_FAILURES_PER_ACCOUNT limits wrong passwords per account and client address',
    );
  }
  if (production && !config.REDIS_URL) {
    problems.push(
      'REDIS_URL: required in production (revoked sessions and rate limits are shared through Redis)',
    );
  }
  if (problems.length) throw new ConfigError(problems);
  return config;
}
