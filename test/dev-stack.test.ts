import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { bearer, graphqlRequest as graphql } from '@psa/shared/testing';
import { startDevStack } from './helpers/dev-stack';

describe('npm start (the dev stack)', () => {
  let dataDir: string;
  let child: ChildProcess | null = null;

  beforeAll(() => {
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'psa-dev-'));
  });

  afterAll(() => {
    if (child?.pid && child.exitCode === null) process.kill(-child.pid, 'SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('serves the graph with the admin seeded, stops on SIGTERM, and keeps data across restarts', async () => {
    const first = startDevStack(dataDir);
    child = first.child;
    const url = await first.gatewayUrl;
    const login = await graphql<{ login: { user: { role: string } } }>(
      url,
      'mutation { login(input: {login: "admin", password: "change me in production please"}) { user { role } } }',
    );
    expect(login.body.data?.login.user.role).toBe('ADMIN');
    const signUp = await graphql<{ signUp: { accessToken: string } }>(
      url,
      'mutation { signUp(input: {username: "devuser", email: "dev@example.com", password: "a long enough password"}) { accessToken } }',
    );
    expect(signUp.body.errors).toBeUndefined();
    // Tokens verify through the users service's JWKS, and a logout reaches the gateway at once
    // (one in-process revocation store: this stack runs without Redis).
    const auth = bearer(signUp.body.data?.signUp.accessToken ?? '');
    expect((await graphql(url, '{ me { username } }', {}, auth)).body.data).toEqual({
      me: { username: 'devuser' },
    });
    expect((await graphql(url, 'mutation { logout }', {}, auth)).body.data).toEqual({
      logout: true,
    });
    expect(
      (await graphql(url, '{ me { username } }', {}, auth)).body.errors?.[0]?.extensions?.code,
    ).toBe('UNAUTHENTICATED');

    // SIGTERM to npm itself stops the whole stack (the script execs node, so npm's signal reaches it).
    const exited = new Promise<number | null>((resolve) => first.child.once('exit', resolve));
    first.child.kill('SIGTERM');
    expect(await exited).toBe(0);
    await expect(fetch(url)).rejects.toThrow();

    const second = startDevStack(dataDir);
    child = second.child;
    const again = await graphql(
      await second.gatewayUrl,
      'mutation { login(input: {login: "devuser", password: "a long enough password"}) { user { username } } }',
    );
    expect(again.body.data).toEqual({ login: { user: { username: 'devuser' } } });
    // Ctrl-C: SIGINT to the whole process group (npm forwards it to node once more).
    const exitedAgain = new Promise<number | null>((resolve) => second.child.once('exit', resolve));
    process.kill(-(second.child.pid ?? 0), 'SIGINT');
    expect(await exitedAgain).toBe(0);
  }, 120_000);
});
