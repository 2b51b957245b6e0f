import { bearer, graphqlRequest as graphql } from '@psa/shared/testing';
import { ADMIN, CONSOLE_ORIGIN, startGraph, type Graph } from './helpers/graph';

/**
 * The foundation slice through the real gateway: sign up, sign in, and one entity per subgraph
 * with its references resolved across subgraphs; plus the gateway's HTTP behaviour.
 */
describe('the federated graph', () => {
  let graph: Graph;
  let adminToken: string;

  beforeAll(async () => {
    graph = await startGraph();
    const login = await graph.query<{ login: { accessToken: string } }>(
      'mutation($input: LoginInput!) { login(input: $input) { accessToken } }',
      { input: { login: ADMIN.username, password: ADMIN.password } },
    );
    adminToken = login.body.data?.login.accessToken ?? '';
    expect(adminToken).not.toBe('');
  });

  afterAll(async () => {
    await graph?.stop();
  });

  it('signs a user up and answers `me` for their token', async () => {
    const signUp = await graph.query<{
      signUp: { accessToken: string; user: { id: string; username: string; role: string } };
    }>(
      `mutation($input: SignUpInput!) { signUp(input: $input) { accessToken refreshToken expiresAt user { id username role } } }`,
      {
        input: {
          username: 'alice',
          email: 'alice@example.com',
          password: 'correct horse battery 1',
          displayName: 'Alice',
        },
      },
    );
    expect(signUp.body.errors).toBeUndefined();
    const payload = signUp.body.data?.signUp;
    expect(payload?.user).toMatchObject({ username: 'alice', role: 'MEMBER' });

    const me = await graph.query(
      '{ me { id username email displayName role } }',
      {},
      bearer(payload?.accessToken ?? ''),
    );
    expect(me.body.data?.me).toEqual({
      id: payload?.user.id,
      username: 'alice',
      email: 'alice@example.com',
      displayName: 'Alice',
      role: 'MEMBER',
    });
  });

  it('rejects a duplicate username with CONFLICT and a short password with BAD_USER_INPUT naming the field', async () => {
    const input = {
      username: 'bob',
      email: 'bob@example.com',
      password: 'correct horse battery 2',
    };
    const mutation = 'mutation($input: SignUpInput!) { signUp(input: $input) { user { id } } }';
    expect((await graph.query(mutation, { input })).body.errors).toBeUndefined();
    const duplicate = await graph.query(mutation, {
      input: { ...input, email: 'other@example.com' },
    });
    expect(duplicate.body.errors?.[0]?.extensions).toMatchObject({
      code: 'CONFLICT',
      field: 'input.username',
    });
    const weak = await graph.query(mutation, {
      input: { username: 'carol', email: 'carol@example.com', password: 'short' },
    });
    expect(weak.body.errors?.[0]?.extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      field: 'input.password',
    });
  });

  it('resolves a project, a task and a document with references across all four subgraphs', async () => {
    const auth = bearer(adminToken);
    const project = await graph.query<{
      createProject: { id: string; status: string; manager: { username: string } };
    }>(
      'mutation($input: CreateProjectInput!) { createProject(input: $input) { id status manager { username } } }',
      { input: { name: 'Website relaunch', description: 'Q1', status: 'ACTIVE' } },
      auth,
    );
    expect(project.body.errors).toBeUndefined();
    expect(project.body.data?.createProject).toMatchObject({
      status: 'ACTIVE',
      manager: { username: ADMIN.username },
    });
    const projectId = project.body.data?.createProject.id;

    const task = await graph.query<{ createTask: { id: string } }>(
      'mutation($input: CreateTaskInput!) { createTask(input: $input) { id } }',
      {
        input: {
          projectId,
          title: 'Wireframes',
          dueDate: '2020-01-01T00:00:00Z',
          priority: 'HIGH',
        },
      },
      auth,
    );
    expect(task.body.errors).toBeUndefined();
    const read = await graph.query(
      `query($id: ID!) { task(id: $id) { title status priority overdue createdBy { username } project { name manager { username } } } }`,
      { id: task.body.data?.createTask.id },
      auth,
    );
    expect(read.body.errors).toBeUndefined();
    expect(read.body.data?.task).toEqual({
      title: 'Wireframes',
      status: 'TODO',
      priority: 'HIGH',
      overdue: true,
      createdBy: { username: ADMIN.username },
      project: { name: 'Website relaunch', manager: { username: ADMIN.username } },
    });

    const document = await graph.query<{ createDocument: { id: string } }>(
      'mutation($input: CreateDocumentInput!) { createDocument(input: $input) { id } }',
      { input: { title: 'SOW', fileUrl: 'https://files.example.com/sow.pdf', projectId } },
      auth,
    );
    expect(document.body.errors).toBeUndefined();
    const readDocument = await graph.query(
      'query($id: ID!) { document(id: $id) { title fileUrl owner { username } project { name } } }',
      { id: document.body.data?.createDocument.id },
      auth,
    );
    expect(readDocument.body.data?.document).toEqual({
      title: 'SOW',
      fileUrl: 'https://files.example.com/sow.pdf',
      owner: { username: ADMIN.username },
      project: { name: 'Website relaunch' },
    });
  });

  it('answers UNAUTHENTICATED without a token and for a forged one', async () => {
    const anonymous = await graph.query('{ me { id } }');
    expect(anonymous.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    const forged = await graph.query(
      '{ me { id } }',
      {},
      bearer('eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.'),
    );
    expect(forged.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('never lets identity headers other than the bearer token reach a subgraph', async () => {
    const forged = await graph.query(
      '{ me { id } }',
      {},
      { 'x-user-id': '000000000000000000000001', 'x-user-role': 'ADMIN' },
    );
    expect(forged.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    const direct = await graphql(
      graph.subgraphUrls.users,
      '{ me { id } }',
      {},
      { 'x-user-id': '000000000000000000000001' },
    );
    expect(direct.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('carries the caller’s request id and answers subscriptions over HTTP with a 400 pointing to WebSocket', async () => {
    const result = await graph.query('{ __typename }', {}, { 'x-request-id': 'test-request-42' });
    expect(result.headers.get('x-request-id')).toBe('test-request-42');
    const subscription = await graph.query(
      'subscription { statusUpdated(projectId: "000000000000000000000001") { id } }',
    );
    expect(subscription.status).toBe(400);
    expect(subscription.body.errors?.[0]?.extensions?.code).toBe('BAD_REQUEST');
  });

  it('refuses a body over the limit with 413', async () => {
    const response = await fetch(graph.gatewayUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: `{ __typename } # ${'x'.repeat(2 * 1024 * 1024)}` }),
    });
    expect(response.status).toBe(413);
  });

  it('allows CORS from the configured origins only', async () => {
    const preflight = (origin: string) =>
      fetch(graph.gatewayUrl, {
        method: 'OPTIONS',
        headers: {
          origin,
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'authorization, content-type',
        },
      });
    const allowed = await preflight(CONSOLE_ORIGIN);
    expect(allowed.status).toBe(204);
    expect(allowed.headers.get('access-control-allow-origin')).toBe(CONSOLE_ORIGIN);
    expect(allowed.headers.get('access-control-allow-headers')).toContain('authorization');
    const other = await preflight('https://evil.example.com');
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('serves /healthz and /readyz on the gateway and every subgraph', async () => {
    for (const url of [graph.gatewayUrl, ...Object.values(graph.subgraphUrls)]) {
      const base = url.replace(/\/graphql$/, '');
      expect((await fetch(`${base}/healthz`)).status).toBe(200);
      const ready = await fetch(`${base}/readyz`);
      expect(ready.status).toBe(200);
      expect(await ready.json()).toMatchObject({ status: 'ready' });
    }
  });
});
