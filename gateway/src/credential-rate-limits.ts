import { createHash } from 'node:crypto';
import type { GraphQLFormattedError } from 'graphql';
import {
  RateLimiterMemory,
  RateLimiterRedis,
  RateLimiterRes,
  type RateLimiterAbstract,
} from 'rate-limiter-flexible';
import { ErrorCode, type createRedisClient, type Identity } from '@psa/shared';
import { addressKey } from './client-address';
import type { Rate } from './config';
import type { MutationField } from './operation-analysis';

type RedisClient = ReturnType<typeof createRedisClient>;

export interface CredentialRateLimitsOptions {
  /** Counters in Redis, shared by every replica; null: in this process only. */
  redis: RedisClient | null;
  /** Prefix of every key. */
  keyPrefix: string;
  /** `login` attempts per client address, right or wrong. */
  loginPerIp: Rate;
  /**
   * Consecutive wrong passwords per account and client address: `login` (the account it names),
   * `changePassword` and `deleteAccount` (the caller's). A right password starts the count again.
   */
  passwordFailures: Rate;
  signUpPerIp: Rate;
}

/** Why an operation is refused, safe to show to the client. */
export interface RateLimitVerdict {
  message: string;
  retryAfterSeconds: number;
}

/** The part of a response that tells how each password check went. */
export interface AnsweredOperation {
  data?: Record<string, unknown> | null;
  errors?: readonly GraphQLFormattedError[];
}

/**
 * An operation the limits let through. `settle` records, once it is answered, what each password
 * check came to: a wrong password counts against its account and address, a right one clears the
 * count. Rejects only when the counters cannot be written at all (not even in memory).
 */
export type Admission =
  | { refused: RateLimitVerdict }
  | { refused: null; settle(answer: AnsweredOperation): Promise<void> };

/**
 * The mutations that check a password: whose account a wrong one counts against, and how the
 * users service says it was wrong (any other error, such as an invalid new password or a
 * subgraph outage, counts neither way).
 */
const PASSWORD_CHECKS: Record<
  string,
  {
    account: (field: MutationField, caller: Identity | null) => string | null;
    isWrongPassword: (error: GraphQLFormattedError) => boolean;
    refusal: string;
  }
> = {
  login: {
    // The login it names (username or email), as the users service matches it.
    account: ({ args }) => {
      const login = (args.input as { login?: unknown } | undefined)?.login;
      return typeof login === 'string' ? `login:${login.trim().toLowerCase()}` : null;
    },
    isWrongPassword: (error) => error.extensions?.code === ErrorCode.UNAUTHENTICATED,
    refusal: 'Too many sign-in attempts',
  },
  changePassword: {
    account: (_, caller) => (caller ? `user:${caller.userId.toLowerCase()}` : null),
    isWrongPassword: (error) =>
      error.extensions?.code === ErrorCode.BAD_USER_INPUT &&
      error.extensions.field === 'input.currentPassword',
    refusal: 'Too many wrong passwords',
  },
  deleteAccount: {
    account: (_, caller) => (caller ? `user:${caller.userId.toLowerCase()}` : null),
    isWrongPassword: (error) =>
      error.extensions?.code === ErrorCode.BAD_USER_INPUT && error.extensions.field === 'password',
    refusal: 'Too many wrong passwords',
  },
};

function limiter(
  options: CredentialRateLimitsOptions,
  name: string,
  rate: Rate,
): RateLimiterAbstract {
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

/** An account and an address as one key, hashed so that no username or email is stored. */
const accountAtAddress = (account: string, address: string): string =>
  `${createHash('sha256').update(account).digest('base64url')}@${address}`;

const secondsUntil = (ms: number): number => Math.max(1, Math.ceil(ms / 1000));

/** The verdict that makes the client wait longest. */
function longest(
  verdict: RateLimitVerdict | null,
  message: string,
  retryAfterSeconds: number,
): RateLimitVerdict {
  if (verdict && verdict.retryAfterSeconds >= retryAfterSeconds) return verdict;
  return { message: `${message}: try again in ${retryAfterSeconds} s`, retryAfterSeconds };
}

/** A password check of an admitted operation, waiting for its answer. */
interface PendingCheck {
  /** Where the field's result and errors are in the answer. */
  responseKey: string;
  /** Its account and address. */
  key: string;
  isWrongPassword: (error: GraphQLFormattedError) => boolean;
}

const ADMITTED: Admission = { refused: null, settle: async () => undefined };

/**
 * Rate limits on the mutations that take a password or make an account. Per client address:
 * every `login` attempt, and `signUp`. Per account and client address: consecutive wrong
 * passwords of `login`, `changePassword` and `deleteAccount`, so a stranger failing on purpose
 * from elsewhere never locks the owner out. Every selected field counts, so aliasing `login` five
 * times costs five attempts.
 */
export class CredentialRateLimits {
  private readonly loginPerIp: RateLimiterAbstract;
  private readonly signUpPerIp: RateLimiterAbstract;
  private readonly passwordFailures: RateLimiterAbstract;

  constructor(private readonly options: CredentialRateLimitsOptions) {
    this.loginPerIp = limiter(options, 'login-ip:', options.loginPerIp);
    this.signUpPerIp = limiter(options, 'signup-ip:', options.signUpPerIp);
    this.passwordFailures = limiter(options, 'password-failures:', options.passwordFailures);
  }

  /**
   * Counts the operation's attempts against the per-address limits and checks its password
   * checks against the failures so far. Resolves with the verdict of the longest wait when a
   * limit is passed, else with how to settle the attempts. Rejects only on a limiter bug.
   */
  async admit(
    fields: readonly MutationField[],
    clientAddress: string,
    caller: Identity | null,
  ): Promise<Admission> {
    if (fields.length === 0) return ADMITTED;
    const address = addressKey(clientAddress);
    let verdict: RateLimitVerdict | null = null;

    for (const { name } of fields) {
      const charge =
        name === 'login'
          ? { limiter: this.loginPerIp, message: 'Too many sign-in attempts' }
          : name === 'signUp'
            ? { limiter: this.signUpPerIp, message: 'Too many sign-ups from this address' }
            : null;
      if (!charge) continue;
      try {
        await charge.limiter.consume(address);
      } catch (rejection) {
        if (!(rejection instanceof RateLimiterRes)) throw rejection;
        verdict = longest(verdict, charge.message, secondsUntil(rejection.msBeforeNext));
      }
    }

    const checks: PendingCheck[] = [];
    const byKey = new Map<string, { checks: number; refusal: string }>();
    for (const field of fields) {
      const check = PASSWORD_CHECKS[field.name];
      const account = check?.account(field, caller);
      if (!check || !account) continue;
      const key = accountAtAddress(account, address);
      checks.push({ responseKey: field.responseKey, key, isWrongPassword: check.isWrongPassword });
      byKey.set(key, { checks: (byKey.get(key)?.checks ?? 0) + 1, refusal: check.refusal });
    }
    const { points, durationSeconds } = this.options.passwordFailures;
    for (const [key, { checks: count, refusal }] of byKey) {
      const failures = await this.passwordFailures.get(key);
      // Each check of this operation could be one more failure: together they must fit.
      if ((failures?.consumedPoints ?? 0) + count > points) {
        const waitMs = failures ? failures.msBeforeNext : durationSeconds * 1000;
        verdict = longest(verdict, refusal, secondsUntil(waitMs));
      }
    }

    if (verdict) return { refused: verdict };
    if (checks.length === 0) return ADMITTED;
    return { refused: null, settle: (answer) => this.settle(checks, answer) };
  }

  private async settle(
    checks: readonly PendingCheck[],
    { data, errors = [] }: AnsweredOperation,
  ): Promise<void> {
    for (const { responseKey, key, isWrongPassword } of checks) {
      const own = errors.filter((error) => error.path?.[0] === responseKey);
      if (own.some(isWrongPassword)) await this.passwordFailures.penalty(key);
      else if (own.length === 0 && data?.[responseKey] != null)
        await this.passwordFailures.delete(key);
    }
  }
}
