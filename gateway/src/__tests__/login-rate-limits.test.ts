import { createRedisClient, silentLogger } from '@psa/shared';
import { Cleanup, randomId } from '@psa/shared/testing';
import { LoginRateLimits, type LoginRateLimitsOptions } from '../login-rate-limits';
import type { MutationField } from '../operation-analysis';

const login = (account: string): MutationField => ({
  name: 'login',
  args: { input: { login: account, password: 'x' } },
});
const signUp: MutationField = { name: 'signUp', args: { input: { username: 'x' } } };

const limits = (redis: LoginRateLimitsOptions['redis'], keyPrefix = `psa:test:${randomId()}:`) =>
  new LoginRateLimits({
    redis,
    keyPrefix,
    loginPerIp: { points: 4, durationSeconds: 60 },
    loginPerAccount: { points: 2, durationSeconds: 60 },
    signUpPerIp: { points: 1, durationSeconds: 3_600 },
  });

describe('LoginRateLimits', () => {
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
  ])('limits login per account (case-insensitively) and per address, %s', async (_, redis) => {
    const limiter = limits(await redis());
    expect(await limiter.consume([login('Alice')], '10.0.0.1')).toBeNull();
    expect(await limiter.consume([login('alice ')], '10.0.0.1')).toBeNull();
    const refused = await limiter.consume([login('ALICE')], '10.0.0.2');
    expect(refused?.message).toMatch(/^Too many sign-in attempts: try again in \d+ s$/);
    expect(refused?.retryAfterSeconds).toBeGreaterThan(0);
    expect(refused?.retryAfterSeconds).toBeLessThanOrEqual(60);
    // Per address: 10.0.0.1 has used 2 of 4; two aliased logins use the rest.
    expect(await limiter.consume([login('bob'), login('carol')], '10.0.0.1')).toBeNull();
    expect(await limiter.consume([login('dave')], '10.0.0.1')).not.toBeNull();
    expect(await limiter.consume([login('dave')], '10.0.0.3')).toBeNull();
  });

  it('keeps the counters in Redis, shared by every replica, with no login in the keys', async () => {
    const redis = await readyRedis();
    const prefix = `psa:test:${randomId()}:`;
    expect(
      await limits(redis, prefix).consume([login('frank@example.com')], '10.0.0.1'),
    ).toBeNull();
    expect(
      await limits(redis, prefix).consume([login('frank@example.com')], '10.0.0.1'),
    ).toBeNull();
    expect(
      await limits(redis, prefix).consume([login('frank@example.com')], '10.0.0.1'),
    ).not.toBeNull();
    const keys = await redis.keys(`${prefix}*`);
    expect(keys.length).toBe(2);
    expect(keys.join(' ')).not.toMatch(/frank/);
  });

  it('limits signUp per address', async () => {
    const limiter = limits(null);
    expect(await limiter.consume([signUp], '10.0.0.1')).toBeNull();
    const refused = await limiter.consume([signUp], '10.0.0.1');
    expect(refused?.message).toMatch(/^Too many sign-ups from this address/);
    expect(refused?.retryAfterSeconds).toBeGreaterThan(60);
    expect(await limiter.consume([signUp], '10.0.0.2')).toBeNull();
  });

  it('falls back to per-process limits while Redis is unreachable', async () => {
    // Nothing listens on port 1: every Redis command fails at once and the insurance limiter counts.
    const limiter = limits(redisClient('redis://127.0.0.1:1'));
    expect(await limiter.consume([login('erin')], '10.0.0.1')).toBeNull();
    expect(await limiter.consume([login('erin')], '10.0.0.1')).toBeNull();
    expect(await limiter.consume([login('erin')], '10.0.0.1')).not.toBeNull();
  });

  it('ignores other mutations', async () => {
    const limiter = limits(null);
    for (let i = 0; i < 5; i++) {
      expect(await limiter.consume([{ name: 'createProject', args: {} }], '10.0.0.1')).toBeNull();
    }
  });
});
