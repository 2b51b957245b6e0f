import { createHash } from 'node:crypto';
import {
  RateLimiterMemory,
  RateLimiterRedis,
  RateLimiterRes,
  type RateLimiterAbstract,
} from 'rate-limiter-flexible';
import type { createRedisClient } from '@psa/shared';
import { addressKey } from './client-address';
import type { Rate } from './config';
import type { MutationField } from './operation-analysis';

type RedisClient = ReturnType<typeof createRedisClient>;

export interface LoginRateLimitsOptions {
  /** Counters in Redis, shared by every replica; null: in this process only. */
  redis: RedisClient | null;
  /** Prefix of every key. */
  keyPrefix: string;
  loginPerIp: Rate;
  loginPerAccount: Rate;
  signUpPerIp: Rate;
}

/** Why an operation is refused, safe to show to the client. */
export interface RateLimitVerdict {
  message: string;
  retryAfterSeconds: number;
}

function limiter(options: LoginRateLimitsOptions, name: string, rate: Rate): RateLimiterAbstract {
  const settings = {
    keyPrefix: `${options.keyPrefix}${name}`,
    points: rate.points,
    duration: rate.durationSeconds,
  };
  const memory = new RateLimiterMemory(settings);
  if (!options.redis) return memory;
  // During a Redis outage the in-memory insurance limiter takes over: per-process limits, not none.
  return new RateLimiterRedis({
    ...settings,
    storeClient: options.redis,
    rejectIfRedisNotReady: true,
    insuranceLimiter: memory,
  });
}

/** The account a login names: lower-cased, and hashed so no username or email is stored. */
const accountKey = (login: string): string =>
  createHash('sha256').update(login.trim().toLowerCase()).digest('base64url');

/**
 * Rate limits on the public auth mutations: `login` per client address and per account (the
 * `login` argument, username or email, lower-cased), `signUp` per client address. Every selected
 * field counts, so aliasing `login` five times costs five attempts.
 */
export class LoginRateLimits {
  private readonly loginPerIp: RateLimiterAbstract;
  private readonly loginPerAccount: RateLimiterAbstract;
  private readonly signUpPerIp: RateLimiterAbstract;

  constructor(options: LoginRateLimitsOptions) {
    this.loginPerIp = limiter(options, 'login-ip:', options.loginPerIp);
    this.loginPerAccount = limiter(options, 'login-account:', options.loginPerAccount);
    this.signUpPerIp = limiter(options, 'signup-ip:', options.signUpPerIp);
  }

  /**
   * Counts the operation's `login` and `signUp` fields against the limits. Resolves with a verdict
   * when one is exceeded (the longest wait of them), else null. Rejects only on a limiter bug.
   */
  async consume(
    fields: readonly MutationField[],
    clientAddress: string,
  ): Promise<RateLimitVerdict | null> {
    const address = addressKey(clientAddress);
    const charges: { limiter: RateLimiterAbstract; key: string; message: string }[] = [];
    for (const { name, args } of fields) {
      const input = (args.input ?? {}) as { login?: unknown };
      if (name === 'login') {
        const message = 'Too many sign-in attempts';
        charges.push({ limiter: this.loginPerIp, key: address, message });
        if (typeof input.login === 'string') {
          charges.push({ limiter: this.loginPerAccount, key: accountKey(input.login), message });
        }
      } else if (name === 'signUp') {
        charges.push({
          limiter: this.signUpPerIp,
          key: address,
          message: 'Too many sign-ups from this address',
        });
      }
    }
    let verdict: RateLimitVerdict | null = null;
    for (const { limiter, key, message } of charges) {
      try {
        await limiter.consume(key);
      } catch (rejection) {
        if (!(rejection instanceof RateLimiterRes)) throw rejection;
        const retryAfterSeconds = Math.max(1, Math.ceil(rejection.msBeforeNext / 1000));
        if (!verdict || retryAfterSeconds > verdict.retryAfterSeconds) {
          verdict = {
            message: `${message}: try again in ${retryAfterSeconds} s`,
            retryAfterSeconds,
          };
        }
      }
    }
    return verdict;
  }
}
