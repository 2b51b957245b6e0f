import { generateKeyPairSync } from 'node:crypto';
import {
  createRedisClient,
  InMemoryRevocationStore,
  KeySet,
  RedisRevocationStore,
  signAccessToken,
  signingKeyFromPem,
  silentLogger,
} from '@psa/shared';
import { Cleanup, randomId } from '@psa/shared/testing';
import { checkCaller, refusalMessage, type CallerCheckOptions } from '../caller-check';

const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const key = signingKeyFromPem(privateKey.export({ type: 'pkcs8', format: 'pem' }).toString());
const tokenSettings = { issuer: 'psa-graph', audience: 'psa-graph-api' };
const logger = silentLogger();
const keySet = new KeySet({ staticKeys: [{ kid: key.kid, publicKey: key.publicKey }], logger });

const signIn = (role: 'MEMBER' | 'ADMIN' = 'MEMBER') => {
  const subject = { userId: randomId(), role, sessionId: randomId() };
  const { token } = signAccessToken(subject, key, { ...tokenSettings, ttlSeconds: 900 });
  return { ...subject, authorization: `Bearer ${token}` };
};
const inAnHour = () => Math.floor(Date.now() / 1000) + 3_600;

describe('checkCaller', () => {
  const cleanup = new Cleanup();
  afterAll(() => cleanup.run());
  const revocations = new InMemoryRevocationStore();
  const options: CallerCheckOptions = { keySet, revocations, tokenSettings, logger };

  it('answers anonymous without a header and signed-in for a valid token', async () => {
    expect(await checkCaller(undefined, options)).toEqual({ status: 'anonymous' });
    const caller = signIn();
    expect(await checkCaller(caller.authorization, options)).toMatchObject({
      status: 'signed-in',
      identity: { userId: caller.userId, role: 'MEMBER', sessionId: caller.sessionId },
    });
  });

  it('refuses a header that is not a bearer token, or a token that does not verify, as invalid', async () => {
    expect(await checkCaller('Basic abc', options)).toEqual({
      status: 'refused',
      refusal: { kind: 'invalid', reason: 'Authorization must be "Bearer <access token>"' },
    });
    const forged = await checkCaller(`${signIn().authorization}x`, options);
    expect(forged).toMatchObject({ status: 'refused', refusal: { kind: 'invalid' } });
  });

  it('refuses an ended session as revoked and a changed role as role-changed', async () => {
    const ended = signIn();
    await revocations.revokeSession(ended.sessionId, inAnHour());
    const refusedEnded = await checkCaller(ended.authorization, options);
    expect(refusedEnded).toEqual({ status: 'refused', refusal: { kind: 'revoked' } });

    const demoted = signIn('ADMIN');
    await revocations.recordRoleChange(demoted.userId, 'MEMBER', inAnHour());
    const refusedDemoted = await checkCaller(demoted.authorization, options);
    expect(refusedDemoted).toEqual({ status: 'refused', refusal: { kind: 'role-changed' } });
  });

  it('refuses every token while the revocation store cannot be read (fail closed)', async () => {
    // Nothing listens on port 1: every command fails at once.
    const redis = createRedisClient('redis://127.0.0.1:1', logger, 'caller-check-test');
    cleanup.add(() => redis.disconnect());
    const unreachable = { ...options, revocations: new RedisRevocationStore(redis) };
    expect(await checkCaller(signIn().authorization, unreachable)).toEqual({
      status: 'refused',
      refusal: { kind: 'unchecked' },
    });
  });

  it('tells the client what each refusal means', () => {
    expect(refusalMessage({ kind: 'invalid', reason: 'Access token expired' })).toBe(
      'Access token expired',
    );
    expect(refusalMessage({ kind: 'revoked' })).toBe('Session has ended');
    expect(refusalMessage({ kind: 'role-changed' })).toBe('Role changed: refresh the session');
    expect(refusalMessage({ kind: 'unchecked' })).toBe('Cannot check the session right now');
  });
});
