import { generateKeyPairSync } from 'node:crypto';
import {
  KeySet,
  signAccessToken,
  signingKeyFromPem,
  silentLogger,
  type SigningKey,
} from '../index';
import { randomId } from '../testing';

function newKey(): SigningKey {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return signingKeyFromPem(privateKey.export({ type: 'pkcs8', format: 'pem' }).toString());
}

const settings = { issuer: 'psa-graph', audience: 'psa-graph-api' };

function token(key: SigningKey, ttlSeconds = 900): string {
  return signAccessToken({ userId: randomId(), role: 'MEMBER', sessionId: randomId() }, key, {
    ...settings,
    ttlSeconds,
  }).token;
}

describe('KeySet.verify (remembering verified tokens)', () => {
  const key = newKey();
  const keys = new KeySet({
    staticKeys: [{ kid: key.kid, publicKey: key.publicKey }],
    logger: silentLogger(),
  });

  it('answers the same identity for the same token', async () => {
    const presented = token(key);
    const first = await keys.verify(presented, settings);
    expect(await keys.verify(presented, settings)).toEqual(first);
  });

  it('still refuses a remembered token for another audience or issuer', async () => {
    const presented = token(key);
    await keys.verify(presented, settings);
    await expect(keys.verify(presented, { ...settings, audience: 'other' })).rejects.toThrow();
    await expect(keys.verify(presented, { ...settings, issuer: 'other' })).rejects.toThrow();
  });

  it('stops accepting a remembered token once it has expired', async () => {
    const presented = token(key, 2);
    await keys.verify(presented, settings);
    await new Promise((resolve) => setTimeout(resolve, 2_100));
    await expect(keys.verify(presented, settings)).rejects.toThrow();
  });

  it('refuses a token signed by an unknown key, however often it is presented', async () => {
    const stranger = token(newKey());
    for (let i = 0; i < 2; i++) await expect(keys.verify(stranger, settings)).rejects.toThrow();
  });
});
