/**
 * SIGTERM under load, the way Kubernetes stops a pod: the process turns not-ready at once, keeps
 * serving for SHUTDOWN_DELAY_MS while the load balancer (here: the load loop watching /readyz)
 * stops sending, then stops accepting, finishes what is in flight and exits. No request that was
 * sent before the process turned not-ready may fail.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { bearer, graphqlRequest } from '@psa/shared/testing';
import { startDevStack } from './helpers/dev-stack';

const ADMIN_PASSWORD = 'graceful shutdown test admin';

let child: ChildProcess | null = null;
let dataDir: string;

beforeAll(() => {
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'psa-shutdown-'));
});

afterAll(() => {
  if (child?.pid && child.exitCode === null) process.kill(-child.pid, 'SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
});

it('serves every request sent before it turned not-ready, then exits 0', async () => {
  const stack = startDevStack(dataDir, {
    SHUTDOWN_DELAY_MS: '1500',
    SHUTDOWN_GRACE_MS: '5000',
    ADMIN_PASSWORD,
  });
  child = stack.child;
  const url = await stack.gatewayUrl;
  const readyz = url.replace(/\/graphql$/, '/readyz');
  const login = await graphqlRequest<{ login: { accessToken: string } }>(
    url,
    'mutation ($input: LoginInput!) { login(input: $input) { accessToken } }',
    { input: { login: 'admin', password: ADMIN_PASSWORD } },
  );
  const headers = bearer(login.body.data?.login.accessToken ?? '');
  const exited = new Promise<number | null>((resolve) => stack.child.once('exit', resolve));

  let ready = true;
  const watcher = (async () => {
    while (ready) {
      try {
        ready = (await fetch(readyz)).status === 200;
      } catch {
        ready = false;
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  })();
  const outcomes = { ok: 0, failed: [] as string[] };
  // Twenty clients, each sending its next request only while the gateway reports ready.
  const clients = Array.from({ length: 20 }, async () => {
    while (ready) {
      try {
        const { status, body } = await graphqlRequest(
          url,
          'query { me { id } projects(first: 5) { totalCount } }',
          {},
          headers,
        );
        if (status === 200 && !body.errors) outcomes.ok++;
        else outcomes.failed.push(`${status} ${JSON.stringify(body.errors)}`);
      } catch (error) {
        outcomes.failed.push(String(error));
      }
    }
  });
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  const killedAt = Date.now();
  process.kill(-(stack.child.pid as number), 'SIGTERM');
  await Promise.all([...clients, watcher]);
  const code = await exited;
  expect(outcomes.failed).toEqual([]);
  expect(outcomes.ok).toBeGreaterThan(20);
  expect(code).toBe(0);
  // The delay, then at most the grace period.
  expect(Date.now() - killedAt).toBeLessThan(1_500 * 5 + 5_000 + 5_000);
}, 60_000);
