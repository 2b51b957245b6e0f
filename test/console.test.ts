/**
 * The gateway serving a built web console (WEB_DIR) beside the API: files, the app's own routes,
 * caching, and nothing outside the directory.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startGraph, type Graph } from './helpers/graph';

let graph: Graph;
let webDir: string;
let origin: string;

beforeAll(async () => {
  webDir = mkdtempSync(path.join(os.tmpdir(), 'psa-web-'));
  mkdirSync(path.join(webDir, 'assets'));
  writeFileSync(path.join(webDir, 'index.html'), '<!doctype html><title>PSA Graph</title>');
  writeFileSync(path.join(webDir, 'assets', 'app-1234.js'), 'console.log(1)');
  graph = await startGraph({ gatewayEnv: { WEB_DIR: webDir } });
  origin = graph.gatewayUrl.replace(/\/graphql$/, '');
});

afterAll(async () => {
  await graph?.stop();
  rmSync(webDir, { recursive: true, force: true });
});

it('serves index.html at / and for the app’s own routes, with a content security policy', async () => {
  for (const route of ['/', '/projects/123', '/login?next=%2F']) {
    const response = await fetch(`${origin}${route}`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/html');
    const csp = response.headers.get('content-security-policy');
    expect(csp).toContain("default-src 'self'");
    // The API explorer's stylesheet embeds its fonts; nothing else from outside is allowed.
    expect(csp).toContain("font-src 'self' data:");
    expect(csp).not.toMatch(/https?:/);
    expect(await response.text()).toContain('<title>PSA Graph</title>');
  }
});

it('serves hashed assets with a long cache, and nothing outside the directory', async () => {
  const asset = await fetch(`${origin}/assets/app-1234.js`);
  expect(asset.headers.get('content-type')).toContain('text/javascript');
  expect(asset.headers.get('cache-control')).toContain('immutable');
  for (const escape of [
    '/..%2f..%2fpackage.json',
    '/%2e%2e/%2e%2e/etc/passwd',
    '/assets/../../x',
  ]) {
    const response = await fetch(`${origin}${escape}`);
    expect(await response.text()).toContain('<title>PSA Graph</title>');
  }
});

it('keeps the API and health endpoints as they are', async () => {
  expect((await fetch(`${origin}/healthz`)).status).toBe(200);
  const { body } = await graph.query('{ __typename }');
  expect(body.data).toEqual({ __typename: 'Query' });
  expect((await fetch(`${origin}/`, { method: 'POST' })).status).toBe(404);
});
