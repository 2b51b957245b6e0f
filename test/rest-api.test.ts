import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startGraph, type Graph } from './helpers/graph';

/** The REST API under `/api/` on the gateway's origin, through the real gateway. */
describe('the REST API', () => {
  let graph: Graph;
  let origin: string;
  let webDir: string;

  beforeAll(async () => {
    // A console is served, so an /api/ path falling through to it would get its HTML.
    webDir = mkdtempSync(path.join(os.tmpdir(), 'psa-web-'));
    writeFileSync(path.join(webDir, 'index.html'), '<!doctype html><title>PSA Graph</title>');
    graph = await startGraph({ gatewayEnv: { WEB_DIR: webDir } });
    origin = new URL(graph.gatewayUrl).origin;
  });

  afterAll(async () => {
    await graph?.stop();
    rmSync(webDir, { recursive: true, force: true });
  });

  it('answers an unknown route under /api/ with 404 NOT_FOUND as JSON, never the console', async () => {
    for (const [method, path] of [
      ['GET', '/api/v1/nothing-here'],
      ['POST', '/api/v1/nothing-here'],
      ['GET', '/api/'],
      ['DELETE', '/api/v2/projects/1'],
    ] as const) {
      const response = await fetch(`${origin}${path}`, { method });
      expect({ method, path, status: response.status }).toEqual({ method, path, status: 404 });
      expect(response.headers.get('content-type')).toContain('application/json');
      expect(await response.json()).toEqual({
        errors: [{ message: `No REST route ${method} ${path}`, extensions: { code: 'NOT_FOUND' } }],
      });
    }
    // The console still serves its own paths.
    const app = await fetch(`${origin}/projects/123`);
    expect(app.status).toBe(200);
    expect(app.headers.get('content-type')).toContain('text/html');
  });
});
