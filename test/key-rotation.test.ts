import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { loadGatewayConfig, startGateway } from '@psa/gateway';
import {
  loadOrCreateDevSigningKey,
  publicKeyPem,
  silentLogger,
  type SubgraphService,
} from '@psa/shared';
import { bearer, Cleanup, graphqlRequest } from '@psa/shared/testing';
import { loadUsersConfig, startUsersService } from '@psa/users-service';

/**
 * Signing-key rotation without downtime, through the real gateway: the users service restarts
 * with a new private key and keeps publishing the old public key; tokens signed with either key
 * keep working at the gateway, which learns the new key from the JWKS the first time a token
 * names it.
 */
describe('signing-key rotation', () => {
  const cleanup = new Cleanup();
  afterAll(() => cleanup.run());

  it('accepts tokens from the old and the new key across a users-service restart', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'psa-rotation-'));
    cleanup.add(() => rmSync(dir, { recursive: true, force: true }));
    const oldKey = loadOrCreateDevSigningKey(path.join(dir, 'old'));
    const newKey = loadOrCreateDevSigningKey(path.join(dir, 'new'));
    const pem = (key: typeof oldKey): string =>
      key.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    const usersEnv: NodeJS.ProcessEnv = {
      NODE_ENV: 'test',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'silent',
      MONGO_URL: process.env.MONGO_URL,
      REDIS_URL: process.env.REDIS_URL,
      USERS_DB: `psa_users_${randomBytes(4).toString('hex')}`,
      USERS_PORT: '0',
      JWT_PRIVATE_KEY: pem(oldKey),
    };
    const startUsers = async (env: NodeJS.ProcessEnv): Promise<SubgraphService> => {
      const service = await startUsersService(loadUsersConfig(env), silentLogger());
      await service.whenReady();
      return service;
    };

    let users = await startUsers(usersEnv);
    let stopUsers = (): Promise<void> => users.stop();
    cleanup.add(() => stopUsers());
    const jwksUrl = users.url.replace(/\/graphql$/, '/.well-known/jwks.json');
    const gateway = await startGateway(
      loadGatewayConfig({
        ...usersEnv,
        GATEWAY_PORT: '0',
        USERS_URL: users.url,
        JWKS_URL: jwksUrl,
      }),
      silentLogger(),
    );
    cleanup.add(() => gateway.stop());

    const signUp = await graphqlRequest<{ signUp: { accessToken: string; refreshToken: string } }>(
      gateway.url,
      'mutation { signUp(input: {username: "rotator", email: "rotator@example.com", password: "rotation password 1"}) { accessToken refreshToken } }',
    );
    const oldToken = signUp.body.data?.signUp.accessToken ?? '';
    const me = '{ me { username } }';
    expect((await graphqlRequest(gateway.url, me, {}, bearer(oldToken))).body.data).toEqual({
      me: { username: 'rotator' },
    });

    // Rotate: new private key; the old public key stays published until old tokens expire.
    await users.stop();
    users = await startUsers({
      ...usersEnv,
      USERS_PORT: String(new URL(users.url).port),
      JWT_PRIVATE_KEY: pem(newKey),
      JWT_PUBLIC_KEYS: publicKeyPem(oldKey),
    });
    stopUsers = () => users.stop();

    expect((await graphqlRequest(gateway.url, me, {}, bearer(oldToken))).body.data).toEqual({
      me: { username: 'rotator' },
    });
    const refreshed = await graphqlRequest<{ refreshSession: { accessToken: string } }>(
      gateway.url,
      'mutation ($token: String!) { refreshSession(refreshToken: $token) { accessToken } }',
      { token: signUp.body.data?.signUp.refreshToken },
    );
    const newToken = refreshed.body.data?.refreshSession.accessToken ?? '';
    expect(JSON.parse(Buffer.from(newToken.split('.')[0] ?? '', 'base64url').toString()).kid).toBe(
      newKey.kid,
    );
    expect((await graphqlRequest(gateway.url, me, {}, bearer(newToken))).body.data).toEqual({
      me: { username: 'rotator' },
    });
  }, 30_000);
});
