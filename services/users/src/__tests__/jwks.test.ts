import { generateKeyPairSync } from 'node:crypto';
import {
  fromJwks,
  KeySet,
  publicKeyPem,
  signingKeyFromPem,
  silentLogger,
  type SigningKey,
} from '@psa/shared';
import { Cleanup, graphqlRequest, mintAccessToken } from '@psa/shared/testing';
import { JWKS_PATH } from '../users-service';
import { codeOf, signedUp, startUsers, type UsersUnderTest } from './users-harness';

const cleanup = new Cleanup();

function newSigningKey(): { key: SigningKey; pem: string } {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const pem = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
  return { key: signingKeyFromPem(pem), pem };
}

const jwksUrl = (users: UsersUnderTest) => new URL(JWKS_PATH, users.service.url).toString();

afterAll(() => cleanup.run());

describe('GET /.well-known/jwks.json', () => {
  let users: UsersUnderTest;

  beforeAll(async () => {
    users = await startUsers(cleanup);
  });

  it('serves the signing key as a JWKS that caches may keep for 5 minutes', async () => {
    const response = await fetch(jwksUrl(users));
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expect(response.headers.get('cache-control')).toBe('public, max-age=300');
    const document = (await response.json()) as { keys: Record<string, unknown>[] };
    expect(fromJwks(document).map((key) => key.kid)).toEqual([users.signingKey.kid]);
    // Public halves only.
    for (const jwk of document.keys) expect(jwk).not.toHaveProperty('d');
  });

  it('refuses other methods than GET and HEAD with 405', async () => {
    const post = await fetch(jwksUrl(users), { method: 'POST' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
    expect((await fetch(jwksUrl(users), { method: 'HEAD' })).status).toBe(200);
  });
});

describe('key rotation', () => {
  it('serves the new signing key and the old one from JWT_PUBLIC_KEYS; tokens of both verify', async () => {
    const old = newSigningKey();
    const current = newSigningKey();
    const users = await startUsers(cleanup, {
      env: { JWT_PRIVATE_KEY: current.pem, JWT_PUBLIC_KEYS: publicKeyPem(old.key) },
    });

    const document = (await (await fetch(jwksUrl(users))).json()) as unknown;
    expect(fromJwks(document).map((key) => key.kid)).toEqual([current.key.kid, old.key.kid]);

    // New sessions are signed with the new key.
    const session = await signedUp(users.service.url, 'rotated');
    const header = JSON.parse(
      Buffer.from(session.accessToken.split('.')[0] as string, 'base64url').toString(),
    ) as { kid: string };
    expect(header.kid).toBe(current.key.kid);

    // A verifier that knows only the JWKS URL accepts tokens of both keys, and no others.
    const verifier = new KeySet({ jwksUrl: jwksUrl(users), logger: silentLogger() });
    const settings = { issuer: users.config.JWT_ISSUER, audience: users.config.JWT_AUDIENCE };
    const oldToken = mintAccessToken(old.key, settings, 'MEMBER');
    await expect(verifier.verify(session.accessToken, settings)).resolves.toMatchObject({
      userId: session.user.id,
    });
    await expect(verifier.verify(oldToken, settings)).resolves.toMatchObject({ role: 'MEMBER' });
    const foreign = mintAccessToken(newSigningKey().key, settings, 'MEMBER');
    await expect(verifier.verify(foreign, settings)).rejects.toMatchObject({
      code: 'UNAUTHENTICATED',
    });

    // The users service itself still accepts a token signed with the old key until it is dropped.
    const users1 = await graphqlRequest(
      users.service.url,
      '{ users(first: 1) { totalCount } }',
      {},
      { authorization: `Bearer ${oldToken}` },
    );
    expect(users1.body.errors).toBeUndefined();
    const refused = await graphqlRequest(
      users.service.url,
      '{ users(first: 1) { totalCount } }',
      {},
      { authorization: `Bearer ${foreign}` },
    );
    expect(codeOf(refused.body)).toBe('UNAUTHENTICATED');
  });
});
