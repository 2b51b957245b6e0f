import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import os from 'node:os';
import { promisify } from 'node:util';
import path from 'node:path';
import { validate } from '@readme/openapi-parser';
import { Supergraph } from '@apollo/federation-internals';
import createClient, { type Client } from 'openapi-fetch';
import type { OpenAPIV3 } from 'openapi-types';
import type { paths } from './generated/rest-api';
import { launchChromium } from './helpers/chromium';
import { ADMIN, startGraph, type Graph } from './helpers/graph';
import { loginAdmin, signUp, type Person } from './helpers/people';

type Api = Client<paths>;

const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;

/** Every operation of the document as `METHOD /path → Type.field`. */
function operations(document: OpenAPIV3.Document): Map<string, string> {
  const found = new Map<string, string>();
  for (const [route, item] of Object.entries(document.paths)) {
    for (const method of METHODS) {
      const operation = item?.[method] as
        (OpenAPIV3.OperationObject & Record<string, unknown>) | undefined;
      if (operation)
        found.set(`${method.toUpperCase()} ${route}`, String(operation['x-graphql-field']));
    }
  }
  return found;
}

/** A port nothing listens on (a subgraph that is down). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** The REST API under `/api/` on the gateway's origin, through the real gateway. */
describe('the REST API', () => {
  let graph: Graph;
  let origin: string;
  let webDir: string;
  let admin: Person;
  /** The typed client generated from the OpenAPI document (test/generated/rest-api.ts). */
  let api: Api;
  const as = (person: Person) => ({ headers: person.headers });

  beforeAll(async () => {
    // A console is served, so an /api/ path falling through to it would get its HTML.
    webDir = mkdtempSync(path.join(os.tmpdir(), 'psa-web-'));
    writeFileSync(path.join(webDir, 'index.html'), '<!doctype html><title>PSA Graph</title>');
    graph = await startGraph({ gatewayEnv: { WEB_DIR: webDir } });
    origin = new URL(graph.gatewayUrl).origin;
    api = createClient<paths>({ baseUrl: `${origin}/api/v1` });
    admin = await loginAdmin(graph);
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
      ['PUT', '/api/v1/projects'],
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

  describe('the OpenAPI document', () => {
    let document: OpenAPIV3.Document;

    beforeAll(async () => {
      const response = await fetch(`${origin}/api/v1/openapi.json`);
      expect(response.status).toBe(200);
      document = (await response.json()) as OpenAPIV3.Document;
    });

    it('is a valid OpenAPI 3 document', async () => {
      expect(document.openapi).toMatch(/^3\./);
      const result = await validate(structuredClone(document) as never);
      expect(result).toMatchObject({ valid: true });
    });

    it('has a route for every query and mutation of the supergraph, and none twice', () => {
      const sdl = readFileSync(path.join(__dirname, '../gateway/supergraph.graphql'), 'utf8');
      const schema = Supergraph.build(sdl).apiSchema().toGraphQLJSSchema();
      const fields = [schema.getQueryType(), schema.getMutationType()].flatMap((type) =>
        Object.keys(type!.getFields()).map((name) => `${type!.name}.${name}`),
      );
      const routed = [...operations(document).values()];
      expect([...routed].sort()).toEqual([...fields].sort());
      // Subscriptions are not REST.
      expect(routed.some((field) => field.startsWith('Subscription.'))).toBe(false);
    });

    it('serves the contract routes of rest.md at their paths', () => {
      const routes = operations(document);
      expect(Object.fromEntries([...routes].filter(([, field]) => CONTRACT.has(field)))).toEqual(
        Object.fromEntries([...CONTRACT].map(([field, route]) => [route, field])),
      );
    });

    it('describes parameters, bodies, answers, the bearer scheme and the errors', () => {
      expect(document.components?.securitySchemes?.bearerAuth).toMatchObject({
        type: 'http',
        scheme: 'bearer',
      });
      const project = document.paths['/projects/{id}']!.get!;
      expect(project.parameters).toEqual([
        expect.objectContaining({ name: 'id', in: 'path', required: true }),
      ]);
      expect(project.security).toEqual([{ bearerAuth: [] }]);
      expect(project.responses['200']).toMatchObject({
        content: { 'application/json': { schema: { $ref: '#/components/schemas/Project' } } },
      });
      for (const status of ['400', '401', '403', '404', '409', '429', '500', '503']) {
        expect(project.responses[status]).toHaveProperty('$ref');
      }
      expect(document.components?.responses?.RateLimited).toHaveProperty('headers.Retry-After');
      const list = document.paths['/projects']!.get!;
      expect(list.parameters).toEqual([
        expect.objectContaining({
          name: 'first',
          in: 'query',
          schema: { type: 'integer', format: 'int32' },
        }),
        expect.objectContaining({ name: 'after', in: 'query' }),
        expect.objectContaining({
          name: 'filter',
          in: 'query',
          content: {
            'application/json': { schema: { $ref: '#/components/schemas/ProjectFilter' } },
          },
        }),
        expect.objectContaining({
          name: 'orderBy',
          in: 'query',
          schema: expect.objectContaining({ $ref: '#/components/schemas/ProjectOrder' }),
        }),
      ]);
      expect(document.components?.schemas?.ProjectOrder).toMatchObject({
        enum: ['CREATED_AT', 'NAME'],
      });
      const create = document.paths['/projects']!.post!;
      expect(create.requestBody).toMatchObject({
        required: true,
        content: {
          'application/json': {
            schema: {
              type: 'object',
              required: ['input'],
              properties: { input: { $ref: '#/components/schemas/CreateProjectInput' } },
            },
          },
        },
      });
      expect(create.parameters).toEqual([{ $ref: '#/components/parameters/IdempotencyKey' }]);
      // Signing in needs no token.
      expect(document.paths['/login']!.post!.security).toEqual([{}, { bearerAuth: [] }]);
      // A project's nested connections are routes of their own, not part of its answer.
      const schema = document.components!.schemas!.Project as OpenAPIV3.SchemaObject;
      expect(Object.keys(schema.properties!)).toEqual(
        expect.arrayContaining(['id', 'name', 'status']),
      );
      expect(schema.properties).not.toHaveProperty('tasks');
    });

    it('is what the checked-in typed client was generated from (npm run codegen:rest)', async () => {
      const root = path.join(__dirname, '..');
      const checkedIn = readFileSync(path.join(root, 'test/generated/rest-api.ts'), 'utf8');
      // openapi-typescript is an ES module jest cannot load: the generator runs as a process.
      const { stdout } = await promisify(execFile)(
        process.execPath,
        [
          '--conditions=source',
          '--import',
          'tsx',
          'scripts/generate-rest-client.ts',
          '--stdout',
          '--from',
          `${origin}/api/v1/openapi.json`,
        ],
        { cwd: root, maxBuffer: 64 * 1024 * 1024 },
      );
      // Stale after a schema change: run `npm run compose` (or `npm run codegen:rest`).
      expect(stdout).toBe(checkedIn);
    });
  });

  describe('the API reference page', () => {
    it('serves Swagger UI and its assets from the gateway (no CDN)', async () => {
      const page = await fetch(`${origin}/api/docs`);
      expect(page.status).toBe(200);
      expect(page.headers.get('content-type')).toContain('text/html');
      const html = await page.text();
      const sources = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((match) => match[1]!);
      expect(sources.length).toBeGreaterThanOrEqual(4);
      for (const source of sources) {
        expect(source.startsWith('/api/docs/assets/')).toBe(true);
        const asset = await fetch(`${origin}${source}`);
        expect({ source, status: asset.status }).toEqual({ source, status: 200 });
        expect((await asset.arrayBuffer()).byteLength).toBeGreaterThan(0);
      }
      expect(html).toContain('data-openapi-url="/api/v1/openapi.json"');
      expect((await fetch(`${origin}/api/docs/assets/../package.json`)).status).toBe(404);
    });
  });

  it('renders the reference in a browser under its CSP, with every operation listed', async () => {
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      const refused: string[] = [];
      page.on('console', (message) => {
        if (message.type() === 'error') refused.push(message.text());
      });
      await page.goto(`${origin}/api/docs`);
      await page.locator('.opblock').first().waitFor();
      expect(await page.locator('.opblock').count()).toBeGreaterThan(40);
      expect(await page.locator('text=PSA Graph REST API').count()).toBeGreaterThan(0);
      expect(refused).toEqual([]);
    } finally {
      await browser.close();
    }
  });

  describe('the contract routes through the typed client', () => {
    let manager: Person;
    let member: Person;

    beforeAll(async () => {
      manager = await signUp(graph, admin, 'MANAGER');
      member = await signUp(graph, admin, 'MEMBER');
    });

    it('signs up, logs in, reads /me, refreshes and logs out', async () => {
      const username = `rest-${Date.now().toString(36)}`;
      const password = `${username} password 1`;
      const signedUp = await api.POST('/sign-up', {
        body: { input: { username, email: `${username}@example.com`, password } },
      });
      expect(signedUp.response.status).toBe(200);
      // Related objects are answered with their id (their own route has the rest).
      expect(signedUp.data?.user).toEqual({ id: expect.any(String) });

      const loggedIn = await api.POST('/login', { body: { input: { login: username, password } } });
      expect(loggedIn.response.status).toBe(200);
      const { accessToken, refreshToken } = loggedIn.data!;
      const headers = { authorization: `Bearer ${accessToken}` };

      const me = await api.GET('/me', { headers });
      expect(me.data).toMatchObject({ id: signedUp.data!.user.id, username, role: 'MEMBER' });

      const refreshed = await api.POST('/refresh', { body: { refreshToken } });
      expect(refreshed.response.status).toBe(200);
      const renewed = { authorization: `Bearer ${refreshed.data!.accessToken}` };
      expect((await api.GET('/me', { headers: renewed })).data).toMatchObject({ username });

      const loggedOut = await api.POST('/logout', { headers: renewed });
      expect(loggedOut.data).toBe(true);
      const after = await api.GET('/me', { headers: renewed });
      expect(after.response.status).toBe(401);
      expect(after.error).toMatchObject({ errors: [{ extensions: { code: 'UNAUTHENTICATED' } }] });
      // The refresh token was rotated: the first one works once.
      expect((await api.POST('/refresh', { body: { refreshToken } })).response.status).toBe(401);
    });

    it('creates, lists, reads and deletes projects and tasks, and logs time', async () => {
      const created = await api.POST('/projects', {
        ...as(manager),
        body: { input: { name: 'REST rollout', description: 'through /api/v1' } },
      });
      expect(created.response.status).toBe(200);
      const project = created.data!;
      expect(project).toMatchObject({
        name: 'REST rollout',
        status: 'PLANNED',
        manager: { id: manager.id },
        members: [],
      });

      const listed = await api.GET('/projects', {
        ...as(manager),
        // An object argument travels as JSON, as the document describes it.
        params: { query: { first: 10, filter: JSON.stringify({ search: 'REST rollout' }) } },
      });
      expect(listed.response.status).toBe(200);
      expect(listed.data).toMatchObject({
        totalCount: 1,
        pageInfo: { hasNextPage: false },
        edges: [{ cursor: expect.any(String), node: { id: project.id, name: 'REST rollout' } }],
      });
      // Bracketed keys work too (`?filter[search]=...`).
      const byHand = await fetch(
        `${origin}/api/v1/projects?filter[search]=${encodeURIComponent('REST rollout')}`,
        as(manager),
      );
      expect(((await byHand.json()) as { totalCount: number }).totalCount).toBe(1);
      // A list's order is a query parameter like the others.
      const byName = await api.GET('/projects', {
        ...as(manager),
        params: { query: { first: 10, orderBy: 'NAME' } },
      });
      expect(byName.response.status).toBe(200);
      expect(byName.data?.edges.map((edge) => edge.node.id)).toContain(project.id);

      const read = await api.GET('/projects/{id}', {
        ...as(manager),
        params: { path: { id: project.id } },
      });
      expect(read.data).toEqual(project);

      const task = await api.POST('/tasks', {
        ...as(manager),
        body: { input: { projectId: project.id, title: 'Write the curl examples' } },
      });
      expect(task.data).toMatchObject({
        title: 'Write the curl examples',
        status: 'TODO',
        project: { id: project.id },
      });
      const readTask = await api.GET('/tasks/{id}', {
        ...as(manager),
        params: { path: { id: task.data!.id } },
      });
      expect(readTask.data).toEqual(task.data);

      const entry = await api.POST('/time-entries', {
        ...as(manager),
        body: {
          input: { projectId: project.id, taskId: task.data!.id, date: '2026-12-01', minutes: 45 },
        },
      });
      expect(entry.data).toMatchObject({
        minutes: 45,
        date: '2026-12-01',
        status: 'OPEN',
        user: { id: manager.id },
      });

      const deletedTask = await api.DELETE('/tasks/{id}', {
        ...as(manager),
        params: { path: { id: task.data!.id } },
      });
      expect(deletedTask.data).toBe(true);
      const gone = await api.GET('/tasks/{id}', {
        ...as(manager),
        params: { path: { id: task.data!.id } },
      });
      expect(gone.response.status).toBe(404);

      const deleted = await api.DELETE('/projects/{id}', {
        ...as(manager),
        params: { path: { id: project.id } },
      });
      expect(deleted.data).toBe(true);
    });

    it('reads a document created through a generated route', async () => {
      const created = await api.POST('/create-document', {
        ...as(member),
        body: { input: { title: 'REST notes', fileUrl: 'https://files.example.com/rest.pdf' } },
      });
      expect(created.response.status).toBe(200);
      const read = await api.GET('/documents/{id}', {
        ...as(member),
        params: { path: { id: created.data!.id } },
      });
      expect(read.data).toMatchObject({
        id: created.data!.id,
        title: 'REST notes',
        owner: { id: member.id },
      });
      // Someone it is not shared with does not see it.
      const hidden = await api.GET('/documents/{id}', {
        ...as(manager),
        params: { path: { id: created.data!.id } },
      });
      expect(hidden.response.status).toBe(404);
    });

    it('answers each error code with its status and the GraphQL error in the body', async () => {
      const unauthenticated = await api.GET('/me');
      expect(unauthenticated.response.status).toBe(401);
      expect(unauthenticated.error).toMatchObject({
        errors: [{ message: expect.any(String), extensions: { code: 'UNAUTHENTICATED' } }],
      });

      const forbidden = await api.POST('/projects', {
        ...as(member),
        body: { input: { name: 'Nope' } },
      });
      expect(forbidden.response.status).toBe(403);
      expect(forbidden.error).toMatchObject({ errors: [{ extensions: { code: 'FORBIDDEN' } }] });

      const notFound = await api.GET('/projects/{id}', {
        ...as(admin),
        params: { path: { id: '507f1f77bcf86cd799439011' } },
      });
      expect(notFound.response.status).toBe(404);
      expect(notFound.error).toMatchObject({ errors: [{ extensions: { code: 'NOT_FOUND' } }] });

      const badInput = await api.POST('/projects', {
        ...as(manager),
        body: { input: { name: '   ' } },
      });
      expect(badInput.response.status).toBe(400);
      expect(badInput.error).toMatchObject({
        errors: [
          { extensions: { code: 'BAD_USER_INPUT', field: expect.stringContaining('name') } },
        ],
      });
      // A body that is not JSON, and a query parameter of the wrong type.
      const notJson = await fetch(`${origin}/api/v1/projects`, {
        method: 'POST',
        headers: { ...manager.headers, 'content-type': 'application/json' },
        body: '{"input":',
      });
      expect(notJson.status).toBe(400);
      expect(await notJson.json()).toMatchObject({
        errors: [{ extensions: { code: 'BAD_USER_INPUT' } }],
      });
      const notInt = await fetch(`${origin}/api/v1/projects?first=lots`, as(manager));
      expect(notInt.status).toBe(400);

      const project = await api.POST('/projects', {
        ...as(manager),
        body: { input: { name: 'Timers' } },
      });
      const start = () =>
        api.POST('/start-timer', {
          ...as(manager),
          body: { input: { projectId: project.data!.id } },
        });
      expect((await start()).response.status).toBe(200);
      const conflict = await start();
      expect(conflict.response.status).toBe(409);
      expect(conflict.error).toMatchObject({ errors: [{ extensions: { code: 'CONFLICT' } }] });
    });

    it('answers RATE_LIMITED with 429 and Retry-After', async () => {
      const limited = await graph.startGateway({ LOGIN_RATE_PER_IP: '2/min' });
      const client = createClient<paths>({ baseUrl: `${new URL(limited.url).origin}/api/v1` });
      const statuses: number[] = [];
      let last: { response: Response; error?: unknown } | undefined;
      for (let attempt = 0; attempt < 3; attempt++) {
        last = await client.POST('/login', {
          body: { input: { login: ADMIN.username, password: ADMIN.password } },
        });
        statuses.push(last.response.status);
      }
      expect(statuses).toEqual([200, 200, 429]);
      expect(Number(last!.response.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(last!.error).toMatchObject({ errors: [{ extensions: { code: 'RATE_LIMITED' } }] });
      await limited.stop();
    });

    it('answers SERVICE_UNAVAILABLE with 503 when a service the call needs is down', async () => {
      const port = await closedPort();
      const withoutTime = await graph.startGateway({
        TIME_URL: `http://127.0.0.1:${port}/graphql`,
      });
      const client = createClient<paths>({ baseUrl: `${new URL(withoutTime.url).origin}/api/v1` });
      const project = await api.POST('/projects', {
        ...as(manager),
        body: { input: { name: 'Down' } },
      });
      const entry = await client.POST('/time-entries', {
        ...as(manager),
        body: { input: { projectId: project.data!.id, date: '2026-12-01', minutes: 10 } },
      });
      expect(entry.response.status).toBe(503);
      expect(entry.error).toMatchObject({
        errors: [{ extensions: { code: 'SERVICE_UNAVAILABLE' } }],
      });
      await withoutTime.stop();
    });

    it('honours Idempotency-Key on writes: a retry gets the first answer, nothing is made twice', async () => {
      const key = `rest-${Date.now()}`;
      const create = () =>
        api.POST('/projects', {
          headers: { ...manager.headers, 'Idempotency-Key': key },
          body: { input: { name: `Once ${key}` } },
        });
      const first = await create();
      const retry = await create();
      expect(retry.data).toEqual(first.data);
      expect(retry.response.headers.get('idempotent-replayed')).toBe('true');
      const listed = await api.GET('/projects', {
        ...as(manager),
        params: { query: { filter: JSON.stringify({ search: `Once ${key}` }) } },
      });
      expect(listed.data?.totalCount).toBe(1);
      // The same key with another body is refused and runs nothing.
      const other = await api.POST('/projects', {
        headers: { ...manager.headers, 'Idempotency-Key': key },
        body: { input: { name: 'Something else' } },
      });
      expect(other.response.status).toBe(422);
      expect(other.error).toMatchObject({
        errors: [{ extensions: { code: 'BAD_USER_INPUT', field: 'Idempotency-Key' } }],
      });
    });

    it('refuses a body over the gateway body limit with 413', async () => {
      const response = await fetch(`${origin}/api/v1/projects`, {
        method: 'POST',
        headers: { ...manager.headers, 'content-type': 'application/json' },
        body: JSON.stringify({ input: { name: 'x'.repeat(2_000_000) } }),
      });
      expect(response.status).toBe(413);
      expect(await response.json()).toMatchObject({
        errors: [{ extensions: { code: 'PAYLOAD_TOO_LARGE' } }],
      });
    });
  });
});

/** `../shared/contract/next/rest.md`'s table: field → `METHOD /path`. */
const CONTRACT = new Map([
  ['Mutation.login', 'POST /login'],
  ['Mutation.signUp', 'POST /sign-up'],
  ['Mutation.refreshSession', 'POST /refresh'],
  ['Mutation.logout', 'POST /logout'],
  ['Query.me', 'GET /me'],
  ['Query.projects', 'GET /projects'],
  ['Mutation.createProject', 'POST /projects'],
  ['Query.project', 'GET /projects/{id}'],
  ['Mutation.deleteProject', 'DELETE /projects/{id}'],
  ['Mutation.createTask', 'POST /tasks'],
  ['Query.task', 'GET /tasks/{id}'],
  ['Mutation.deleteTask', 'DELETE /tasks/{id}'],
  ['Query.document', 'GET /documents/{id}'],
  ['Mutation.logTime', 'POST /time-entries'],
]);
