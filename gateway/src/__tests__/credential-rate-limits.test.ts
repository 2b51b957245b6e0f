import { createRedisClient, silentLogger, type Identity } from '@psa/shared';
import { Cleanup, randomId } from '@psa/shared/testing';
import {
  CredentialRateLimits,
  type Admission,
  type AnsweredOperation,
  type CredentialRateLimitsOptions,
} from '../credential-rate-limits';
import type { MutationField } from '../operation-analysis';

const login = (account: string, responseKey = 'login'): MutationField => ({
  name: 'login',
  responseKey,
  args: { input: { login: account, password: 'x' } },
});
const signUp: MutationField = { name: 'signUp', responseKey: 'signUp', args: { input: {} } };
const changePassword: MutationField = {
  name: 'changePassword',
  responseKey: 'changePassword',
  args: { input: { currentPassword: 'x', newPassword: 'y' } },
};
const deleteAccount: MutationField = {
  name: 'deleteAccount',
  responseKey: 'deleteAccount',
  args: { password: 'x' },
};

/** How the users service answers a wrong password, and a right one, for `field`. */
const wrongPassword = (field: MutationField): AnsweredOperation => ({
  data: null,
  errors: [
    {
      message: 'wrong',
      path: [field.responseKey],
      extensions:
        field.name === 'login'
          ? { code: 'UNAUTHENTICATED' }
          : {
              code: 'BAD_USER_INPUT',
              field: field.name === 'changePassword' ? 'input.currentPassword' : 'password',
            },
    },
  ],
});
const rightPassword = (field: MutationField): AnsweredOperation => ({
  data: { [field.responseKey]: field.name === 'login' ? { accessToken: 't' } : true },
});

const caller = (): Identity => {
  const now = Math.floor(Date.now() / 1000);
  return {
    userId: randomId(),
    role: 'MEMBER',
    sessionId: randomId(),
    tokenId: randomId(),
    issuedAt: now,
    expiresAt: now + 900,
  };
};

const limits = (
  redis: CredentialRateLimitsOptions['redis'],
  keyPrefix = `psa:test:${randomId()}:`,
) =>
  new CredentialRateLimits({
    redis,
    keyPrefix,
    loginPerIp: { points: 20, durationSeconds: 60 },
    passwordFailures: { points: 3, durationSeconds: 60 },
    signUpPerIp: { points: 1, durationSeconds: 3_600 },
  });

/** Admits the fields and answers every password check of them with `answer`. */
async function attempt(
  limiter: CredentialRateLimits,
  fields: MutationField[],
  address: string,
  answer: (field: MutationField) => AnsweredOperation,
  identity: Identity | null = null,
): Promise<Admission> {
  const admission = await limiter.admit(fields, address, identity);
  if (!admission.refused) {
    for (const field of fields) await admission.settle(answer(field));
  }
  return admission;
}

describe('CredentialRateLimits', () => {
  const cleanup = new Cleanup();
  afterAll(() => cleanup.run());

  const redisClient = (url: string) => {
    const client = createRedisClient(url, silentLogger(), 'rate-limit-test');
    cleanup.add(() => client.disconnect());
    return client;
  };
  const readyRedis = async () => {
    const client = redisClient(process.env.REDIS_URL ?? '');
    if (client.status !== 'ready') await new Promise((resolve) => client.once('ready', resolve));
    return client;
  };

  it.each([
    ['in memory', async () => null],
    ['in Redis', readyRedis],
  ])('counts wrong passwords per account and address, case-insensitively, %s', async (_, redis) => {
    const limiter = limits(await redis());
    for (const account of ['Alice', 'alice ', 'ALICE']) {
      expect((await attempt(limiter, [login(account)], '10.0.0.1', wrongPassword)).refused).toBe(
        null,
      );
    }
    const refused = (await limiter.admit([login('alice')], '10.0.0.1', null)).refused;
    expect(refused?.message).toMatch(/^Too many sign-in attempts: try again in \d+ s$/);
    expect(refused?.retryAfterSeconds).toBeGreaterThan(0);
    expect(refused?.retryAfterSeconds).toBeLessThanOrEqual(60);
    // The owner, from another address, is not held back by someone else's failures.
    expect((await attempt(limiter, [login('alice')], '10.0.0.2', rightPassword)).refused).toBe(
      null,
    );
  });

  it('clears the count with a right password, so only consecutive failures add up', async () => {
    const limiter = limits(null);
    for (let round = 0; round < 3; round++) {
      await attempt(limiter, [login('bob')], '10.0.0.1', wrongPassword);
      await attempt(limiter, [login('bob')], '10.0.0.1', wrongPassword);
      expect((await attempt(limiter, [login('bob')], '10.0.0.1', rightPassword)).refused).toBe(
        null,
      );
    }
    // Other answers (a bad input, an outage) count neither way.
    const other: AnsweredOperation = {
      data: null,
      errors: [{ message: 'down', path: ['login'], extensions: { code: 'SERVICE_UNAVAILABLE' } }],
    };
    for (let i = 0; i < 5; i++) await attempt(limiter, [login('bob')], '10.0.0.1', () => other);
    expect((await limiter.admit([login('bob')], '10.0.0.1', null)).refused).toBeNull();
  });

  it('counts every alias, and refuses more aliases than failures are left', async () => {
    const limiter = limits(null);
    const aliased = ['a', 'b', 'c', 'd'].map((alias) => login('carol', alias));
    const refused = (await limiter.admit(aliased, '10.0.0.1', null)).refused;
    expect(refused?.retryAfterSeconds).toBe(60);
    await attempt(limiter, aliased.slice(0, 2), '10.0.0.1', wrongPassword);
    expect((await limiter.admit(aliased.slice(0, 2), '10.0.0.1', null)).refused).not.toBeNull();
    expect((await limiter.admit(aliased.slice(0, 1), '10.0.0.1', null)).refused).toBeNull();
  });

  it('limits changePassword and deleteAccount per caller and address, on one count', async () => {
    const limiter = limits(null);
    const owner = caller();
    await attempt(limiter, [changePassword], '10.0.0.1', wrongPassword, owner);
    await attempt(limiter, [deleteAccount], '10.0.0.1', wrongPassword, owner);
    await attempt(limiter, [changePassword], '10.0.0.1', wrongPassword, owner);
    for (const field of [changePassword, deleteAccount]) {
      const refused = (await limiter.admit([field], '10.0.0.1', owner)).refused;
      expect(refused?.message).toMatch(/^Too many wrong passwords: try again in \d+ s$/);
    }
    expect((await limiter.admit([changePassword], '10.0.0.2', owner)).refused).toBeNull();
    expect((await limiter.admit([changePassword], '10.0.0.1', caller())).refused).toBeNull();
    // A new password that is not valid says nothing about the current one.
    const invalidNew: AnsweredOperation = {
      data: null,
      errors: [
        {
          message: 'too short',
          path: ['changePassword'],
          extensions: { code: 'BAD_USER_INPUT', field: 'input.newPassword' },
        },
      ],
    };
    const other = caller();
    for (let i = 0; i < 5; i++)
      await attempt(limiter, [changePassword], '10.0.0.1', () => invalidNew, other);
    expect((await limiter.admit([changePassword], '10.0.0.1', other)).refused).toBeNull();
  });

  it('keeps the counters in Redis, shared by every replica, with no login in the keys', async () => {
    const redis = await readyRedis();
    const prefix = `psa:test:${randomId()}:`;
    for (let i = 0; i < 3; i++) {
      await attempt(limits(redis, prefix), [login('frank@example.com')], '10.0.0.1', wrongPassword);
    }
    expect(
      (await limits(redis, prefix).admit([login('frank@example.com')], '10.0.0.1', null)).refused,
    ).not.toBeNull();
    const keys = await redis.keys(`${prefix}*`);
    expect(keys.length).toBe(2);
    expect(keys.join(' ')).not.toMatch(/frank/);
  });

  it('limits every login attempt and every signUp per address', async () => {
    const limiter = new CredentialRateLimits({
      redis: null,
      keyPrefix: 'test:',
      loginPerIp: { points: 2, durationSeconds: 60 },
      passwordFailures: { points: 100, durationSeconds: 60 },
      signUpPerIp: { points: 1, durationSeconds: 3_600 },
    });
    await attempt(limiter, [login('one')], '10.0.0.1', rightPassword);
    await attempt(limiter, [login('two')], '10.0.0.1', rightPassword);
    expect((await limiter.admit([login('three')], '10.0.0.1', null)).refused?.message).toMatch(
      /^Too many sign-in attempts/,
    );
    expect((await limiter.admit([login('three')], '10.0.0.2', null)).refused).toBeNull();

    expect((await limiter.admit([signUp], '10.0.0.1', null)).refused).toBeNull();
    const refused = (await limiter.admit([signUp], '10.0.0.1', null)).refused;
    expect(refused?.message).toMatch(/^Too many sign-ups from this address/);
    expect(refused?.retryAfterSeconds).toBeGreaterThan(60);
    expect((await limiter.admit([signUp], '10.0.0.2', null)).refused).toBeNull();
  });

  it('falls back to per-process counters while Redis is unreachable', async () => {
    // Nothing listens on port 1: every Redis command fails at once and the insurance limiter counts.
    const limiter = limits(redisClient('redis://127.0.0.1:1'));
    for (let i = 0; i < 3; i++) {
      expect((await attempt(limiter, [login('erin')], '10.0.0.1', wrongPassword)).refused).toBe(
        null,
      );
    }
    expect((await limiter.admit([login('erin')], '10.0.0.1', null)).refused).not.toBeNull();
    expect((await attempt(limiter, [login('erin')], '10.0.0.2', rightPassword)).refused).toBe(null);
  });

  it('ignores other mutations', async () => {
    const limiter = limits(null);
    for (let i = 0; i < 5; i++) {
      const field = { name: 'createProject', responseKey: 'createProject', args: {} };
      expect((await limiter.admit([field], '10.0.0.1', null)).refused).toBeNull();
    }
  });
});
