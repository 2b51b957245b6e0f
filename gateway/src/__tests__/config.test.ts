import { ConfigError } from '@psa/shared';
import { loadGatewayConfig, parseRate } from '../config';

const PUBLIC_KEY = '-----BEGIN PUBLIC KEY-----\nMFkw\n-----END PUBLIC KEY-----';

describe('gateway configuration', () => {
  it('parses rates like 20/min, 10/hour, 5/15min and refuses nonsense', () => {
    expect(parseRate('20/min')).toEqual({ points: 20, durationSeconds: 60 });
    expect(parseRate('10/hour')).toEqual({ points: 10, durationSeconds: 3_600 });
    expect(parseRate('5 / 15 minutes')).toEqual({ points: 5, durationSeconds: 900 });
    expect(parseRate('100/30s')).toEqual({ points: 100, durationSeconds: 30 });
    for (const bad of ['20', '0/min', '20/ms', '20/fortnight', '-1/min', 'x/min']) {
      expect(parseRate(bad)).toBeNull();
    }
  });

  it('has the documented defaults', () => {
    expect(loadGatewayConfig({})).toMatchObject({
      MAX_QUERY_DEPTH: 12,
      MAX_QUERY_COST: 10_000,
      LOGIN_RATE_PER_IP: { points: 20, durationSeconds: 60 },
      PASSWORD_FAILURES_PER_ACCOUNT: { points: 10, durationSeconds: 900 },
      SIGNUP_RATE_PER_IP: { points: 10, durationSeconds: 3_600 },
      TRUST_PROXY_HOPS: 0,
    });
  });

  it('refuses LOGIN_RATE_PER_ACCOUNT, which counted every attempt, naming what replaced it', () => {
    expect(() => loadGatewayConfig({ LOGIN_RATE_PER_ACCOUNT: '10/min' })).toThrow(
      /LOGIN_RATE_PER_ACCOUNT: no longer read; PASSWORD_FAILURES_PER_ACCOUNT/,
    );
  });

  it('derives JWKS_URL from USERS_URL in production only, and keeps one given', () => {
    const users = { USERS_URL: 'http://users.psa.svc:4001/graphql' };
    const production = { ...users, NODE_ENV: 'production', REDIS_URL: 'redis://redis:6379' };
    expect(loadGatewayConfig(production).JWKS_URL).toBe(
      'http://users.psa.svc:4001/.well-known/jwks.json',
    );
    expect(loadGatewayConfig(users).JWKS_URL).toBeUndefined();
    expect(
      loadGatewayConfig({ ...production, JWKS_URL: 'https://keys.example.com/jwks.json' }).JWKS_URL,
    ).toBe('https://keys.example.com/jwks.json');
    expect(loadGatewayConfig({ ...users, JWT_PUBLIC_KEYS: PUBLIC_KEY }).JWKS_URL).toBeUndefined();
  });

  it('requires REDIS_URL in production and reports every bad variable at once', () => {
    let error: unknown;
    try {
      loadGatewayConfig({
        NODE_ENV: 'production',
        MAX_QUERY_DEPTH: '0',
        LOGIN_RATE_PER_IP: 'lots',
        TRUST_PROXY_HOPS: '-1',
      });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.join('\n');
    expect(problems).toMatch(/MAX_QUERY_DEPTH/);
    expect(problems).toMatch(/LOGIN_RATE_PER_IP: must be a rate like 20\/min/);
    expect(problems).toMatch(/TRUST_PROXY_HOPS/);
    expect(() => loadGatewayConfig({ NODE_ENV: 'production' })).toThrow(
      /REDIS_URL: required in production/,
    );
  });
});
