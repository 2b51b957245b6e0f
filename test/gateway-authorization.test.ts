import { createHmac, generateKeyPairSync, randomUUID, sign, type KeyObject } from 'node:crypto';
import { MongoClient } from 'mongodb';
import { loadGatewayConfig } from '@psa/gateway';
import {
  createRedisClient,
  keyId,
  publicKeyPem,
  RedisRevocationStore,
  silentLogger,
  type RevocationStore,
  type Role,
  type SigningKey,
} from '@psa/shared';
import {
  bearer,
  Cleanup,
  graphqlRequest,
  mintAccessToken,
  randomId,
  type GraphQLResponse,
} from '@psa/shared/testing';
import { ADMIN, startGraph, type Graph } from './helpers/graph';

/**
 * Authorization at the gateway, through the real gateway and subgraphs over HTTP: forged tokens,
 * roles, revoked and stale sessions, operations refused before any subgraph is called, depth and
 * cost limits, rate limits of the auth mutations (per client address and per account and address)
 * and introspection in production.
 */

interface Claims {
  sub: string;
  role: string;
  sid: string;
  iss: string;
  aud: string;
  iat: number;
  exp: number;
  jti: string;
}

const base64url = (value: unknown): string =>
  Buffer.from(JSON.stringify(value)).toString('base64url');

/** A JWT assembled by hand, signed by `signer` over `header.payload`. */
function jwt(
  header: Record<string, unknown>,
  payload: unknown,
  signer: (input: Buffer) => Buffer,
): string {
  const input = `${base64url({ typ: 'JWT', ...header })}.${base64url(payload)}`;
  return `${input}.${signer(Buffer.from(input)).toString('base64url')}`;
}

const es256 = (key: KeyObject) => (input: Buffer) =>
  sign('sha256', input, { key, dsaEncoding: 'ieee-p1363' });

const claimsOf = (token: string): Claims =>
  JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as Claims;

/**
 * What GraphiQL and Apollo Sandbox send (graphql-js `getIntrospectionQuery()`, trimmed of
 * descriptions): 15 levels deep and lists within lists, far past the default depth and cost
 * limits if introspection were counted like data.
 */
const INTROSPECTION_QUERY = `
  query IntrospectionQuery {
    __schema {
      queryType { name } mutationType { name } subscriptionType { name }
      types { ...FullType }
      directives { name locations args { ...InputValue } }
    }
  }
  fragment FullType on __Type {
    kind name
    fields(includeDeprecated: true) { name args { ...InputValue } type { ...TypeRef } isDeprecated deprecationReason }
    inputFields { ...InputValue }
    interfaces { ...TypeRef }
    enumValues(includeDeprecated: true) { name isDeprecated deprecationReason }
    possibleTypes { ...TypeRef }
  }
  fragment InputValue on __InputValue { name type { ...TypeRef } defaultValue }
  fragment TypeRef on __Type {
    kind name
    ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name
      ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } } } } } } }
  }
`;

/** A P-256 signing key nobody trusts. */
function generateSigningKey(): SigningKey {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  return { kid: keyId(publicKey), privateKey, publicKey };
}

const codeOf = (response: GraphQLResponse): unknown => response.body.errors?.[0]?.extensions?.code;

/** Expects a request-level refusal: the code and status, and no `data` at all (nothing executed). */
function expectRefused(response: GraphQLResponse, code: string, status: number): void {
  expect({ code: codeOf(response), status: response.status }).toEqual({ code, status });
  expect(response.body).not.toHaveProperty('data');
}

describe('gateway authorization', () => {
  const cleanup = new Cleanup();
  let graph: Graph;
  let settings: { issuer: string; audience: string };
  let member: { id: string; token: string };
  const token = (role: Role) => mintAccessToken(graph.signingKey, settings, role);

  const signUp = async (username: string, url?: string) => {
    const response = await graphqlRequest<{
      signUp: { accessToken: string; user: { id: string } };
    }>(
      url ?? graph.gatewayUrl,
      'mutation($input: SignUpInput!) { signUp(input: $input) { accessToken user { id } } }',
      {
        input: {
          username,
          email: `${username}@example.com`,
          password: 'correct horse battery staple',
        },
      },
    );
    const payload = response.body.data?.signUp;
    if (!payload) throw new Error(`sign-up failed: ${JSON.stringify(response.body.errors)}`);
    return { id: payload.user.id, token: payload.accessToken };
  };

  beforeAll(async () => {
    graph = await startGraph();
    cleanup.add(() => graph.stop());
    const config = loadGatewayConfig(graph.gatewayEnv);
    settings = { issuer: config.JWT_ISSUER, audience: config.JWT_AUDIENCE };
    member = await signUp('member');
  });

  afterAll(() => cleanup.run());

  describe('forged and invalid tokens', () => {
    const now = () => Math.floor(Date.now() / 1000);
    const claims = (overrides: Partial<Claims> = {}): Claims => ({
      sub: member.id,
      role: 'MEMBER',
      sid: randomId(),
      iss: settings.issuer,
      aud: settings.audience,
      iat: now(),
      exp: now() + 900,
      jti: randomUUID(),
      ...overrides,
    });
    const signed = (payload: Claims) =>
      jwt({ alg: 'ES256', kid: graph.signingKey.kid }, payload, es256(graph.signingKey.privateKey));

    const forgeries: [string, () => string][] = [
      [
        'alg none',
        () => jwt({ alg: 'none', kid: graph.signingKey.kid }, claims(), () => Buffer.alloc(0)),
      ],
      [
        'HS256 signed with the public key’s PEM as the secret',
        () =>
          jwt({ alg: 'HS256', kid: graph.signingKey.kid }, claims({ role: 'ADMIN' }), (input) =>
            createHmac('sha256', publicKeyPem(graph.signingKey)).update(input).digest(),
          ),
      ],
      [
        'ES256 from a foreign EC key, claiming our kid',
        () => {
          const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
          return jwt({ alg: 'ES256', kid: graph.signingKey.kid }, claims(), es256(privateKey));
        },
      ],
      [
        'RS256 from a foreign RSA key',
        () => {
          const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
          return jwt({ alg: 'RS256', kid: graph.signingKey.kid }, claims(), (input) =>
            sign('sha256', input, privateKey),
          );
        },
      ],
      [
        'a tampered payload (role changed to ADMIN, signature kept)',
        () => {
          const [header, , signature] = signed(claims()).split('.');
          return `${header}.${base64url(claims({ role: 'ADMIN' }))}.${signature}`;
        },
      ],
      ['an expired token', () => signed(claims({ iat: now() - 3_600, exp: now() - 60 }))],
      ['a wrong audience', () => signed(claims({ aud: 'another-api' }))],
      ['a wrong issuer', () => signed(claims({ iss: 'https://evil.example.com' }))],
    ];

    it('accepts the hand-made token when nothing is forged (so each case below fails for its forgery)', async () => {
      const response = await graph.query('{ me { id } }', {}, bearer(signed(claims())));
      expect(response.body).toEqual({ data: { me: { id: member.id } } });
    });

    it.each(forgeries)(
      '%s: UNAUTHENTICATED at the gateway and at every subgraph',
      async (_, forge) => {
        const auth = bearer(forge());
        expectRefused(await graph.query('{ me { id } }', {}, auth), 'UNAUTHENTICATED', 401);
        const direct: [string, string][] = [
          [graph.subgraphUrls.users, '{ me { id } }'],
          [graph.subgraphUrls.projects, `{ project(id: "${randomId()}") { id } }`],
          [graph.subgraphUrls.tasks, `{ task(id: "${randomId()}") { id } }`],
          [graph.subgraphUrls.documents, `{ document(id: "${randomId()}") { id } }`],
        ];
        for (const [url, query] of direct) {
          expect(codeOf(await graphqlRequest(url, query, {}, auth))).toBe('UNAUTHENTICATED');
        }
      },
    );

    it('refuses an Authorization header that is no bearer token', async () => {
      const response = await graph.query(
        '{ me { id } }',
        {},
        { authorization: 'Basic YWRtaW46eA==' },
      );
      expectRefused(response, 'UNAUTHENTICATED', 401);
    });

    it('lets a public operation through with a refused token, without forwarding the token', async () => {
      const forged = bearer(forgeries[0]?.[1]() ?? '');
      const login = await graph.query<{ login: { user: { id: string } } }>(
        'mutation($input: LoginInput!) { login(input: $input) { user { id } } }',
        { input: { login: ADMIN.username, password: ADMIN.password } },
        forged,
      );
      expect(login.body.errors).toBeUndefined();
      expect(login.body.data?.login.user.id).toBeTruthy();
    });
  });

  describe('roles and what executes', () => {
    const createProject =
      'mutation($input: CreateProjectInput!) { createProject(input: $input) { id } }';

    const projectsNamed = async (name: string): Promise<number> => {
      const client = await new MongoClient(process.env.MONGO_URL ?? '').connect();
      try {
        return await client
          .db(graph.databases.projects)
          .collection('projects')
          .countDocuments({ name });
      } finally {
        await client.close();
      }
    };

    it('refuses createProject to a MEMBER and a CLIENT with FORBIDDEN, creating nothing', async () => {
      const name = `forbidden-${randomId()}`;
      expectRefused(
        await graph.query(createProject, { input: { name } }, bearer(member.token)),
        'FORBIDDEN',
        403,
      );
      const client = await graph.query(createProject, { input: { name } }, bearer(token('CLIENT')));
      expectRefused(client, 'FORBIDDEN', 403);
      expect(client.body.errors?.[0]?.message).toBe(
        'Mutation.createProject requires the MANAGER role',
      );
      expect(await projectsNamed(name)).toBe(0);
    });

    it('refuses setUserRole (ADMIN only) to a MANAGER', async () => {
      const response = await graph.query(
        'mutation($input: SetUserRoleInput!) { setUserRole(input: $input) { id role } }',
        { input: { userId: member.id, role: 'ADMIN' } },
        bearer(token('MANAGER')),
      );
      expectRefused(response, 'FORBIDDEN', 403);
      expect(response.body.errors?.[0]?.message).toBe(
        'Mutation.setUserRole requires the ADMIN role',
      );
    });

    it('lets a MANAGER and an ADMIN create a project (MANAGER ⊆ ADMIN)', async () => {
      for (const role of ['MANAGER', 'ADMIN'] as const) {
        const name = `allowed-${randomId()}`;
        const response = await graph.query(createProject, { input: { name } }, bearer(token(role)));
        expect(response.body.errors).toBeUndefined();
        expect(await projectsNamed(name)).toBe(1);
      }
    });

    it.each([
      [
        'a fragment spread',
        'mutation($input: CreateProjectInput!) { ...M } fragment M on Mutation { createProject(input: $input) { id } }',
      ],
      [
        'nested fragments',
        'mutation($input: CreateProjectInput!) { ...A } fragment A on Mutation { ...B } fragment B on Mutation { createProject(input: $input) { id } }',
      ],
      [
        'an inline fragment',
        'mutation($input: CreateProjectInput!) { ... on Mutation { ... { createProject(input: $input) { id } } } }',
      ],
      [
        'an alias',
        'mutation($input: CreateProjectInput!) { harmless: createProject(input: $input) { id } }',
      ],
    ])('finds createProject hidden in %s', async (_, operation) => {
      const name = `hidden-${randomId()}`;
      expectRefused(
        await graph.query(operation, { input: { name } }, bearer(member.token)),
        'FORBIDDEN',
        403,
      );
      expect(await projectsNamed(name)).toBe(0);
    });

    it('answers an anonymous `me` with UNAUTHENTICATED, whatever it hides behind', async () => {
      for (const query of [
        '{ me { id } }',
        '{ __typename me { id } }',
        '{ ...Q } fragment Q on Query { ... on Query { mine: me { id } } }',
      ]) {
        expectRefused(await graph.query(query), 'UNAUTHENTICATED', 401);
      }
    });

    it('executes nothing of an operation it refuses: the public field beside the protected one never ran', async () => {
      const username = `never-${randomId().slice(0, 8)}`;
      const input = {
        username,
        email: `${username}@example.com`,
        password: 'correct horse battery staple',
      };
      const mixed = await graph.query(
        `mutation($input: SignUpInput!, $project: CreateProjectInput!) {
           signUp(input: $input) { user { id } }
           createProject(input: $project) { id }
         }`,
        { input, project: { name: `mixed-${randomId()}` } },
      );
      expectRefused(mixed, 'UNAUTHENTICATED', 401);
      // Had signUp run, the same username would now be a CONFLICT.
      const again = await graph.query(
        'mutation($input: SignUpInput!) { signUp(input: $input) { user { username } } }',
        { input },
      );
      expect(again.body.errors).toBeUndefined();
      expect(again.body.data).toEqual({ signUp: { user: { username } } });
    });

    it('refuses a malformed DateTime as BAD_USER_INPUT before any subgraph is called', async () => {
      const update = 'mutation($i: UpdateTaskInput!) { updateTask(input: $i) { id } }';
      for (const dueDate of [42, true, { $gt: '' }, 'next week', '2026-12-01']) {
        const response = await graph.query(
          update,
          { i: { id: randomId(), dueDate } },
          bearer(token('MANAGER')),
        );
        // A variable that does not coerce: 200 to an application/json client (GraphQL over HTTP).
        expect(response.status).toBe(200);
        expect(response.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
        expect(response.body.errors?.[0]?.message).toContain('DateTime');
        expect(response.body).not.toHaveProperty('data');
      }
      const literal = await graph.query(
        `mutation { updateTask(input: {id: "${randomId()}", dueDate: 42}) { id } }`,
        {},
        bearer(token('MANAGER')),
      );
      expect(literal.status).toBe(200);
      expect(literal.body.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
      // A well-formed date goes through to the tasks service (which knows no such task).
      const valid = await graph.query(
        update,
        { i: { id: randomId(), dueDate: '2026-12-01T00:00:00Z' } },
        bearer(token('MANAGER')),
      );
      expect(valid.body.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    });

    it('answers a document with several operations and no operationName without executing any', async () => {
      const response = await graph.query('query A { me { id } } query B { __typename }');
      // A client error, as a subgraph answers it (the gateway's executor made it a 500).
      expect(response.status).toBe(400);
      expect(response.body.errors?.[0]?.extensions?.code).toBe('OPERATION_RESOLUTION_FAILURE');
      expect(response.body.data ?? null).toBeNull();
      const unknown = await fetch(graph.gatewayUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: 'query A { __typename }', operationName: 'C' }),
      });
      expect(unknown.status).toBe(400);
      expect(await unknown.json()).toMatchObject({
        errors: [
          {
            message: 'Unknown operation named "C".',
            extensions: { code: 'OPERATION_RESOLUTION_FAILURE' },
          },
        ],
      });
    });
  });

  describe('revoked and stale sessions', () => {
    const store = async (): Promise<RevocationStore> => {
      const redis = createRedisClient(
        process.env.REDIS_URL ?? '',
        silentLogger(),
        'test-revocations',
      );
      cleanup.add(() => redis.disconnect());
      if (redis.status !== 'ready') await new Promise((resolve) => redis.once('ready', resolve));
      return new RedisRevocationStore(redis);
    };

    it('refuses a token whose session was revoked, from the next request on', async () => {
      const user = await signUp(`revoked-${randomId().slice(0, 8)}`);
      const auth = bearer(user.token);
      expect((await graph.query('{ me { id } }', {}, auth)).body.data).toEqual({
        me: { id: user.id },
      });
      const { sid, exp } = claimsOf(user.token);
      await (await store()).revokeSession(sid, exp);
      const refused = await graph.query('{ me { id } }', {}, auth);
      expectRefused(refused, 'UNAUTHENTICATED', 401);
      expect(refused.body.errors?.[0]?.message).toBe('Session has ended');
    });

    it('refuses tokens naming a role the user no longer has, and accepts ones with the new role', async () => {
      const user = await signUp(`stale-${randomId().slice(0, 8)}`);
      const { exp } = claimsOf(user.token);
      await (await store()).recordRoleChange(user.id, 'CLIENT', exp);
      const refused = await graph.query('{ me { id } }', {}, bearer(user.token));
      expectRefused(refused, 'UNAUTHENTICATED', 401);
      expect(refused.body.errors?.[0]?.message).toBe('Role changed: refresh the session');
      const newer = jwt(
        { alg: 'ES256', kid: graph.signingKey.kid },
        { ...claimsOf(user.token), role: 'CLIENT', jti: randomUUID() },
        es256(graph.signingKey.privateKey),
      );
      expect((await graph.query('{ me { id } }', {}, bearer(newer))).body.data).toEqual({
        me: { id: user.id },
      });
    });

    it('refuses an access token at once after its session logs out, and old tokens after a role change', async () => {
      const user = await signUp(`logout-${randomId().slice(0, 8)}`);
      const auth = bearer(user.token);
      const logout = await graph.query('mutation { logout }', {}, auth);
      expect(logout.body).toEqual({ data: { logout: true } });
      const after = await graph.query('{ me { id } }', {}, auth);
      expectRefused(after, 'UNAUTHENTICATED', 401);
      expect(after.body.errors?.[0]?.message).toBe('Session has ended');

      const promoted = await signUp(`promoted-${randomId().slice(0, 8)}`);
      const admin = await graph.query<{ login: { accessToken: string } }>(
        'mutation($input: LoginInput!) { login(input: $input) { accessToken } }',
        { input: { login: ADMIN.username, password: ADMIN.password } },
      );
      const setRole = await graph.query(
        'mutation($input: SetUserRoleInput!) { setUserRole(input: $input) { role } }',
        { input: { userId: promoted.id, role: 'MANAGER' } },
        bearer(admin.body.data?.login.accessToken ?? ''),
      );
      expect(setRole.body).toEqual({ data: { setUserRole: { role: 'MANAGER' } } });
      // The token the user held names the old role: stale at once, even within the same second.
      const stale = await graph.query('{ me { id } }', {}, bearer(promoted.token));
      expectRefused(stale, 'UNAUTHENTICATED', 401);
      expect(stale.body.errors?.[0]?.message).toBe('Role changed: refresh the session');
    });

    it('fails closed when no store can tell a session’s standing, for signed-in operations only', async () => {
      const unavailable: RevocationStore = {
        revokeSession: async () => undefined,
        recordRoleChange: async () => undefined,
        standing: () => Promise.reject(new Error('connection refused')),
        isReady: () => false,
      };
      const gateway = await graph.startGateway({}, { revocations: unavailable });
      const refused = await graphqlRequest(gateway.url, '{ me { id } }', {}, bearer(member.token));
      expectRefused(refused, 'UNAUTHENTICATED', 401);
      expect(refused.body.errors?.[0]?.message).toBe('Cannot check the session right now');
      const login = await graphqlRequest(
        gateway.url,
        'mutation($input: LoginInput!) { login(input: $input) { user { id } } }',
        { input: { login: ADMIN.username, password: ADMIN.password } },
        bearer(member.token),
      );
      expect(login.body.errors).toBeUndefined();
      // Degraded, not out of the load balancer: what needs no session still works.
      const ready = await fetch(gateway.url.replace(/\/graphql$/, '/readyz'));
      expect(ready.status).toBe(200);
      expect(await ready.json()).toMatchObject({
        status: 'degraded',
        checks: { revocations: false },
        failed: ['revocations'],
      });
    });
  });

  describe('depth and cost limits', () => {
    let url: string;
    beforeAll(async () => {
      url = (await graph.startGateway({ MAX_QUERY_DEPTH: '3', MAX_QUERY_COST: '50' })).url;
    });
    const ask = (query: string, variables?: Record<string, unknown>) =>
      graphqlRequest(url, query, variables, bearer(member.token));

    it('refuses an operation deeper than MAX_QUERY_DEPTH with BAD_USER_INPUT naming both', async () => {
      const deep = await ask(`{ task(id: "${randomId()}") { project { manager { id } } } }`);
      expectRefused(deep, 'BAD_USER_INPUT', 400);
      expect(deep.body.errors?.[0]?.message).toBe('Query depth 4 exceeds the limit of 3');
      const hidden = await ask(
        `{ ...T } fragment T on Query { task(id: "${randomId()}") { ... on Task { project { manager { id } } } } }`,
      );
      expectRefused(hidden, 'BAD_USER_INPUT', 400);
      const shallow = await ask(`{ task(id: "${randomId()}") { project { id } } }`);
      expect(codeOf(shallow)).not.toBe('BAD_USER_INPUT');
    });

    it('refuses an operation over MAX_QUERY_COST: `first` (literal, variable or default 20) multiplies', async () => {
      const selection = '{ totalCount pageInfo { hasNextPage } }';
      const literal = await ask(`{ users(first: 100) ${selection} }`);
      expectRefused(literal, 'BAD_USER_INPUT', 400);
      expect(literal.body.errors?.[0]?.message).toBe('Query cost 301 exceeds the limit of 50');
      const variable = `query($n: Int) { users(first: $n) ${selection} }`;
      expectRefused(await ask(variable, { n: 100 }), 'BAD_USER_INPUT', 400);
      // No `first`: the default page of 20 → 1 + 20 × 3.
      expect((await ask(`{ users ${selection} }`)).body.errors?.[0]?.message).toBe(
        'Query cost 61 exceeds the limit of 50',
      );
      const cheap = await ask(variable, { n: 5 });
      expect(cheap.body.errors).toBeUndefined();
    });

    it('refuses a document over MAX_QUERY_TOKENS (default 2,000) while parsing, e.g. 1,000 aliases', async () => {
      const aliases = (n: number) =>
        `{ ${Array.from({ length: n }, (_, i) => `a${i}: me { id }`).join(' ')} }`;
      // `a0: me { id }` is 6 tokens; the braces around them 2.
      const over = await graphqlRequest(graph.gatewayUrl, aliases(1000), {}, bearer(member.token));
      expectRefused(over, 'GRAPHQL_PARSE_FAILED', 200);
      // (graphql-js words it "more that 2000 tokens".)
      expect(over.body.errors?.[0]?.message).toMatch(
        /^Syntax Error: Document contains .* 2000 tokens/,
      );
      const under = await graphqlRequest(graph.gatewayUrl, aliases(300), {}, bearer(member.token));
      expect(under.body.errors).toBeUndefined();
      expect(Object.keys(under.body.data ?? {})).toHaveLength(300);
    });
  });

  describe('rate limits', () => {
    const login = (url: string, account: string) =>
      graphqlRequest(
        url,
        'mutation($input: LoginInput!) { login(input: $input) { accessToken } }',
        { input: { login: account, password: 'not the password at all' } },
      );

    const expectRateLimited = (response: GraphQLResponse, maxSeconds: number): void => {
      expectRefused(response, 'RATE_LIMITED', 429);
      const seconds = response.body.errors?.[0]?.extensions?.retryAfterSeconds;
      expect(typeof seconds).toBe('number');
      expect(seconds).toBeGreaterThan(0);
      expect(seconds).toBeLessThanOrEqual(maxSeconds);
      expect(response.headers.get('retry-after')).toBe(String(seconds));
    };

    it('limits wrong passwords per account, case-insensitively, counting every alias', async () => {
      const { url } = await graph.startGateway({
        PASSWORD_FAILURES_PER_ACCOUNT: '2/min',
        LOGIN_RATE_PER_IP: '100/min',
      });
      expect(codeOf(await login(url, 'Victim'))).not.toBe('RATE_LIMITED');
      expect(codeOf(await login(url, 'victim'))).not.toBe('RATE_LIMITED');
      expectRateLimited(await login(url, 'VICTIM'), 60);
      expect(codeOf(await login(url, 'bystander'))).not.toBe('RATE_LIMITED');
      const aliased = await graphqlRequest(
        url,
        `mutation { ${['a', 'b', 'c']
          .map(
            (alias) => `${alias}: login(input: {login: "aliased", password: "x"}) { accessToken }`,
          )
          .join(' ')} }`,
      );
      expectRateLimited(aliased, 60);
    });

    it('limits login and sign-up per client address', async () => {
      const { url } = await graph.startGateway({
        LOGIN_RATE_PER_IP: '3/min',
        PASSWORD_FAILURES_PER_ACCOUNT: '100/min',
        SIGNUP_RATE_PER_IP: '2/hour',
      });
      for (const account of ['one', 'two', 'three']) {
        expect(codeOf(await login(url, account))).not.toBe('RATE_LIMITED');
      }
      expectRateLimited(await login(url, 'four'), 60);
      await signUp(`first-${randomId().slice(0, 8)}`, url);
      await signUp(`second-${randomId().slice(0, 8)}`, url);
      const third = await graphqlRequest(
        url,
        'mutation { signUp(input: {username: "third", email: "third@example.com", password: "correct horse battery staple"}) { accessToken } }',
      );
      expectRateLimited(third, 3_600);
      expect(third.body.errors?.[0]?.extensions?.retryAfterSeconds).toBeGreaterThan(60);
    });

    describe('per account and client address', () => {
      // Every password check is a deliberately slow scrypt hash in the users service.
      const SLOW = 90_000;
      // Behind one trusted proxy the client address is the last X-Forwarded-For entry.
      const ATTACKER = { 'x-forwarded-for': '203.0.113.66' };
      const OWNER = { 'x-forwarded-for': '198.51.100.7' };
      const PASSWORD = 'correct horse battery staple';
      const LOGIN = 'mutation($input: LoginInput!) { login(input: $input) { accessToken } }';
      const CHANGE_PASSWORD =
        'mutation($input: ChangePasswordInput!) { changePassword(input: $input) }';
      const DELETE_ACCOUNT = 'mutation($password: String!) { deleteAccount(password: $password) }';
      const limitedGateway = () =>
        graph.startGateway({
          TRUST_PROXY_HOPS: '1',
          PASSWORD_FAILURES_PER_ACCOUNT: '3/min',
          LOGIN_RATE_PER_IP: '100/min',
        });
      const logIn = (url: string, login: string, password: string, from: Record<string, string>) =>
        graphqlRequest<{ login: { accessToken: string } }>(
          url,
          LOGIN,
          { input: { login, password } },
          from,
        );

      it(
        "an attacker's wrong passwords from one address do not stop the owner's login from another",
        async () => {
          const { url } = await limitedGateway();
          const owner = `owner-${randomId().slice(0, 8)}`;
          await signUp(owner, url);
          for (let i = 0; i < 3; i++) {
            expect(codeOf(await logIn(url, owner, 'a guess that is wrong', ATTACKER))).toBe(
              'UNAUTHENTICATED',
            );
          }
          expectRateLimited(await logIn(url, owner, 'a guess that is wrong', ATTACKER), 60);
          // Even the right password waits, from the attacker's address: the guessing has to stop.
          expectRateLimited(await logIn(url, owner, PASSWORD, ATTACKER), 60);
          const ownLogin = await logIn(url, owner.toUpperCase(), PASSWORD, OWNER);
          expect(ownLogin.body.errors).toBeUndefined();
          expect(ownLogin.body.data?.login.accessToken).toBeTruthy();
        },
        SLOW,
      );

      it(
        'counts consecutive failures only: a right password starts the count again',
        async () => {
          const { url } = await graph.startGateway({
            TRUST_PROXY_HOPS: '1',
            PASSWORD_FAILURES_PER_ACCOUNT: '2/min',
            LOGIN_RATE_PER_IP: '100/min',
          });
          const owner = `forgetful-${randomId().slice(0, 8)}`;
          await signUp(owner, url);
          expect(codeOf(await logIn(url, owner, 'not it', OWNER))).toBe('UNAUTHENTICATED');
          expect((await logIn(url, owner, PASSWORD, OWNER)).body.errors).toBeUndefined();
          // Two failures in a row are allowed again: the first one was cleared.
          expect(codeOf(await logIn(url, owner, 'not it', OWNER))).toBe('UNAUTHENTICATED');
          expect(codeOf(await logIn(url, owner, 'not it', OWNER))).toBe('UNAUTHENTICATED');
          expectRateLimited(await logIn(url, owner, PASSWORD, OWNER), 60);
        },
        SLOW,
      );

      it(
        'limits wrong current passwords of changePassword and deleteAccount per caller and address',
        async () => {
          const { url } = await limitedGateway();
          const owner = await signUp(`changer-${randomId().slice(0, 8)}`, url);
          const as = (from: Record<string, string>) => ({ ...from, ...bearer(owner.token) });
          const change = (currentPassword: string, from: Record<string, string>) =>
            graphqlRequest(
              url,
              CHANGE_PASSWORD,
              { input: { currentPassword, newPassword: 'another horse battery staple' } },
              as(from),
            );
          for (let i = 0; i < 3; i++) {
            const wrong = await change('a guess that is wrong', ATTACKER);
            expect(wrong.body.errors?.[0]?.extensions).toMatchObject({
              code: 'BAD_USER_INPUT',
              field: 'input.currentPassword',
            });
          }
          expectRateLimited(await change(PASSWORD, ATTACKER), 60);
          // One count for both mutations that check the password.
          expectRateLimited(
            await graphqlRequest(url, DELETE_ACCOUNT, { password: PASSWORD }, as(ATTACKER)),
            60,
          );
          // From the owner's own address the right password still works.
          const changed = await change(PASSWORD, OWNER);
          expect(changed.body).toEqual({ data: { changePassword: true } });
        },
        SLOW,
      );
    });
  });

  describe('introspection', () => {
    it('is on outside production, and the standard introspection query passes the default limits', async () => {
      const response = await graph.query(INTROSPECTION_QUERY);
      expect(response.body.errors).toBeUndefined();
      expect(response.body.data).toHaveProperty('__schema');
    });

    it('verifies tokens in production with the JWKS it derives from USERS_URL', async () => {
      const production = await graph.startGateway({ NODE_ENV: 'production' });
      const response = await graphqlRequest(
        production.url,
        '{ me { id } }',
        {},
        bearer(member.token),
      );
      expect(response.body).toEqual({ data: { me: { id: member.id } } });
      const forged = await graphqlRequest(
        production.url,
        '{ me { id } }',
        {},
        bearer(mintAccessToken(generateSigningKey(), settings, 'ADMIN')),
      );
      expectRefused(forged, 'UNAUTHENTICATED', 401);
    });

    it('is off in production unless INTROSPECTION=true', async () => {
      const query = '{ __schema { queryType { name } } }';
      const production = await graph.startGateway({ NODE_ENV: 'production' });
      const refused = await graphqlRequest(production.url, query);
      expect(refused.status).toBe(200);
      expect(codeOf(refused)).toBe('GRAPHQL_VALIDATION_FAILED');
      expect(refused.body.data ?? null).toBeNull();
      const enabled = await graph.startGateway({ NODE_ENV: 'production', INTROSPECTION: 'true' });
      expect((await graphqlRequest(enabled.url, query)).body.data).toEqual({
        __schema: { queryType: { name: 'Query' } },
      });
    });
  });
});
