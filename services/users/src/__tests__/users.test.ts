import { Writable } from 'node:stream';
import mongoose from 'mongoose';
import { ConfigError, createLogger, type Logger } from '@psa/shared';
import { bearer, Cleanup, graphqlRequest, randomId, type AuthHeaders } from '@psa/shared/testing';
import { loadUsersConfig, type SubgraphService } from '../users-service';
import {
  ADMIN,
  errorOf,
  login as loginAt,
  ME,
  newUser,
  refresh as refreshAt,
  signUp as signUpAt,
  startUsers as startUsersWith,
  USER_FIELDS,
  type AuthView,
  type UserView,
} from './users-harness';

interface UserPage {
  edges: { cursor: string; node: UserView }[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
  totalCount: number;
}

const cleanup = new Cleanup();
let service: SubgraphService;
// Unset until the first service made it: later ones reuse it.
let keysDir: string | undefined;
let auth: AuthHeaders;

const USER = `query ($id: ID!) { user(id: $id) { ${USER_FIELDS} } }`;
const USERS = `query ($first: Int, $after: String, $filter: UserFilter) {
  users(first: $first, after: $after, filter: $filter) {
    edges { cursor node { ${USER_FIELDS} } }
    pageInfo { hasNextPage endCursor }
    totalCount
  }
}`;
const ENTITIES = `query ($representations: [_Any!]!) {
  _entities(representations: $representations) { ... on User { ${USER_FIELDS} } }
}`;

const signUp = (input: Record<string, unknown>, url = service.url) => signUpAt(url, input);

const login = (loginName: string, password: string, url = service.url) =>
  loginAt(url, loginName, password);

/**
 * Starts a users service (stopped when the file ends) on this file's keys, with ADMIN as the first
 * admin and a database of its own; `env` overrides (pass an earlier one's to restart on its database).
 */
const startUsers = (env: NodeJS.ProcessEnv = {}, logger?: Logger) =>
  startUsersWith(cleanup, { env, logger, keysDir });

beforeAll(async () => {
  ({ service, keysDir, auth } = await startUsers());
});

afterAll(() => cleanup.run());

describe('configuration', () => {
  it('defaults to port 4001 and the psa_users database', () => {
    expect(loadUsersConfig({})).toMatchObject({ USERS_PORT: 4001, USERS_DB: 'psa_users' });
  });

  it('requires the signing key in production', () => {
    expect(() => loadUsersConfig({ NODE_ENV: 'production' })).toThrow(ConfigError);
    expect(() => loadUsersConfig({ NODE_ENV: 'production' })).toThrow(/JWT_PRIVATE_KEY/);
  });

  it('takes all three ADMIN_ variables or none', () => {
    expect(() => loadUsersConfig({ ADMIN_USERNAME: 'root' })).toThrow(/set all three or none/);
  });
});

describe('readiness', () => {
  it('follows the database alone without REDIS_URL (sessions and events stay in this process)', async () => {
    const { service: local } = await startUsers({ REDIS_URL: undefined });
    const response = await fetch(new URL('/readyz', local.url));
    expect(response.status).toBe(200);
    expect(((await response.json()) as { checks: unknown }).checks).toEqual({
      mongodb: true,
      events: true,
    });
  });

  it('includes Redis (revocations) and the event bus with REDIS_URL', async () => {
    const response = await fetch(new URL('/readyz', service.url));
    expect(response.status).toBe(200);
    expect(((await response.json()) as { checks: unknown }).checks).toEqual({
      mongodb: true,
      events: true,
      redis: true,
    });
  });
});

describe('signUp', () => {
  it('creates a MEMBER with a lower-case username and answers `me` for its token', async () => {
    const input = newUser('Alice', { displayName: ' Alice Liddell ' });
    const body = await signUp({ ...input, username: `  ${input.username} ` });
    expect(body.errors).toBeUndefined();
    const payload = body.data?.signUp;
    expect(payload?.user).toEqual({
      id: expect.stringMatching(/^[0-9a-f]{24}$/),
      username: input.username?.toLowerCase(),
      displayName: 'Alice Liddell',
      role: 'MEMBER',
    });
    expect(payload?.refreshToken).toEqual(expect.any(String));
    expect(Date.parse(payload?.expiresAt ?? '')).toBeGreaterThan(Date.now());

    const me = await graphqlRequest<{ me: UserView }>(
      service.url,
      ME,
      {},
      bearer(payload?.accessToken ?? ''),
    );
    expect(me.body.errors).toBeUndefined();
    expect(me.body.data?.me).toEqual({ ...payload?.user, email: input.email });
  });

  it('accepts passwords of exactly 15 and 256 characters', async () => {
    for (const password of ['p'.repeat(15), '🔑'.repeat(256)]) {
      const body = await signUp(newUser('bounds', { password }));
      expect(body.errors).toBeUndefined();
    }
  });

  it('refuses a taken username or email, whatever its case, with CONFLICT naming the field', async () => {
    const taken = newUser('taken');
    expect((await signUp(taken)).errors).toBeUndefined();

    const sameUsername = await signUp(
      newUser('other', { username: taken.username?.toUpperCase() }),
    );
    expect(sameUsername.data).toBeNull();
    expect(sameUsername.errors?.[0]).toMatchObject({
      message: 'username is already taken',
      extensions: { code: 'CONFLICT', field: 'input.username' },
    });

    const sameEmail = await signUp(newUser('other', { email: taken.email?.toUpperCase() }));
    expect(sameEmail.data).toBeNull();
    expect(sameEmail.errors?.[0]).toMatchObject({
      message: 'email is already taken',
      extensions: { code: 'CONFLICT', field: 'input.email' },
    });
  });

  it.each([
    ['a username with a space', { username: 'alice smith' }, 'input.username'],
    ['a username with a character outside a-z 0-9 _ . -', { username: 'alice!' }, 'input.username'],
    ['a username with a non-ASCII letter', { username: 'émile' }, 'input.username'],
    ['a username of 2 characters', { username: 'ab' }, 'input.username'],
    ['a username of 33 characters', { username: 'a'.repeat(33) }, 'input.username'],
    ['an email without @', { email: 'alice.example.com' }, 'input.email'],
    ['an email without a dot in its domain', { email: 'alice@localhost' }, 'input.email'],
    ['an email with a space', { email: 'alice smith@example.com' }, 'input.email'],
    ['a password of 14 characters', { password: 'p'.repeat(14) }, 'input.password'],
    ['a password of 257 characters', { password: 'p'.repeat(257) }, 'input.password'],
  ])('refuses %s with BAD_USER_INPUT naming the field', async (_case, overrides, field) => {
    const body = await signUp(newUser('invalid', overrides));
    expect(body.data).toBeNull();
    expect(errorOf(body)).toEqual({ code: 'BAD_USER_INPUT', field });
  });
});

describe('login', () => {
  const account = newUser('Bob');
  let userId: string;

  beforeAll(async () => {
    userId = (await signUp(account)).data?.signUp.user.id ?? '';
  });

  it.each([
    ['username', () => account.username ?? ''],
    ['username in upper case', () => account.username?.toUpperCase() ?? ''],
    ['email, case-insensitively', () => ` ${account.email?.toUpperCase()} `],
  ])('signs in by %s', async (_case, loginName) => {
    const body = await login(loginName(), account.password ?? '');
    expect(body.errors).toBeUndefined();
    expect(body.data?.login.user).toMatchObject({ id: userId, role: 'MEMBER' });
    const me = await graphqlRequest<{ me: UserView }>(
      service.url,
      ME,
      {},
      bearer(body.data?.login.accessToken ?? ''),
    );
    expect(me.body.data?.me.id).toBe(userId);
  });

  it('answers a wrong password and an unknown user alike, with UNAUTHENTICATED', async () => {
    const wrongPassword = await login(account.username ?? '', `${account.password}!`);
    const unknownUser = await login(`nobody_${randomId().slice(0, 8)}`, account.password ?? '');
    for (const body of [wrongPassword, unknownUser]) {
      expect(body.data).toBeNull();
      expect(body.errors?.[0]).toMatchObject({
        message: 'Wrong username/email or password',
        extensions: { code: 'UNAUTHENTICATED' },
      });
    }
  });
});

describe('me', () => {
  it('is UNAUTHENTICATED without a token or with garbage', async () => {
    for (const headers of [{}, bearer('not.a.token')]) {
      const { body } = await graphqlRequest(service.url, ME, {}, headers);
      // Refused before execution: no data at all.
      expect(body.data).toBeUndefined();
      expect(errorOf(body).code).toBe('UNAUTHENTICATED');
    }
  });
});

describe('email', () => {
  const account = newUser('carol');
  let owner: AuthView;

  beforeAll(async () => {
    owner = (await signUp(account)).data?.signUp as AuthView;
  });

  const emailSeenBy = async (headers: Record<string, string>) => {
    const { body } = await graphqlRequest<{ user: UserView }>(
      service.url,
      USER,
      { id: owner.user.id },
      headers,
    );
    expect(body.errors).toBeUndefined();
    return body.data?.user.email;
  };

  it('is in the signUp and login payloads, which belong to the user who just signed in', async () => {
    const fresh = newUser('payload');
    const signedUp = await graphqlRequest<{ signUp: { user: { email: string | null } } }>(
      service.url,
      'mutation ($input: SignUpInput!) { signUp(input: $input) { user { email } } }',
      { input: fresh },
    );
    expect(signedUp.body.data?.signUp.user.email).toBe(fresh.email);
    const loggedIn = await graphqlRequest<{ login: { user: { email: string | null } } }>(
      service.url,
      'mutation ($input: LoginInput!) { login(input: $input) { user { email } } }',
      { input: { login: fresh.username, password: fresh.password } },
    );
    expect(loggedIn.body.data?.login.user.email).toBe(fresh.email);
  });

  it('is visible to the user and to an admin', async () => {
    expect(await emailSeenBy(bearer(owner.accessToken))).toBe(account.email);
    const admin = await login(ADMIN.email, ADMIN.password);
    expect(await emailSeenBy(bearer(admin.data?.login.accessToken ?? ''))).toBe(account.email);
  });

  // A client does not see this user at all (no shared project): test/users-directory.test.ts.
  it('is null for another member and a manager', async () => {
    for (const role of ['MEMBER', 'MANAGER'] as const) {
      expect(await emailSeenBy(auth(role))).toBeNull();
    }
  });
});

describe('users(first, after, filter)', () => {
  // A prefix of their own keeps the other tests' users out of these pages.
  const prefix = `pg${randomId().slice(0, 6)}`;
  const created: UserView[] = [];

  const page = async (variables: Record<string, unknown>, headers = auth('MEMBER')) => {
    const { body } = await graphqlRequest<{ users: UserPage }>(
      service.url,
      USERS,
      variables,
      headers,
    );
    return body;
  };

  beforeAll(async () => {
    for (let i = 1; i <= 5; i++) {
      const body = await signUp(newUser(`${prefix}_${i}`, { username: `${prefix}_${i}` }));
      created.push(body.data?.signUp.user as UserView);
    }
  });

  it('pages through matching users in creation order, without overlap, with totalCount', async () => {
    const seen: string[] = [];
    let after: string | null = null;
    for (const expectedSize of [2, 2, 1]) {
      const body = await page({ first: 2, after, filter: { search: prefix.toUpperCase() } });
      expect(body.errors).toBeUndefined();
      const users = body.data?.users as UserPage;
      expect(users.edges).toHaveLength(expectedSize);
      expect(users.totalCount).toBe(5);
      expect(users.pageInfo.hasNextPage).toBe(expectedSize === 2);
      expect(users.pageInfo.endCursor).toBe(users.edges.at(-1)?.cursor);
      seen.push(...users.edges.map((edge) => edge.node.id));
      after = users.pageInfo.endCursor;
    }
    expect(seen).toEqual(created.map((user) => user.id));
  });

  it('filters by role', async () => {
    const admins = await page({ filter: { role: 'ADMIN' } });
    expect(admins.errors).toBeUndefined();
    expect(admins.data?.users.totalCount).toBe(1);
    expect(admins.data?.users.edges.map((edge) => edge.node.username)).toEqual([
      ADMIN.username.toLowerCase(),
    ]);
    const members = await page({ filter: { role: 'MEMBER', search: prefix } });
    expect(members.data?.users.totalCount).toBe(5);
    const managers = await page({ filter: { role: 'MANAGER', search: prefix } });
    expect(managers.data?.users).toMatchObject({ edges: [], totalCount: 0 });
  });

  it('matches whole words and starts of words, never substrings or patterns', async () => {
    const inside = await page({ filter: { search: prefix.slice(1) } });
    expect(inside.data?.users.totalCount).toBe(0);
    // `_` and `.` separate words: this is the word `prefix` (and its start), matching all five.
    const punctuated = await page({ filter: { search: `${prefix}_.` } });
    expect(punctuated.data?.users.totalCount).toBe(5);
    const third = await page({ filter: { search: `${prefix} 3` } });
    expect(third.data?.users.edges.map((edge) => edge.node.id)).toEqual([created[2]?.id]);
    const noWords = await page({ filter: { search: '.*' } });
    expect(noWords.data?.users).toMatchObject({ edges: [], totalCount: 0 });
    const start = await page({ filter: { search: prefix.slice(0, -1).toUpperCase() } });
    expect(start.data?.users.totalCount).toBe(5);
    const regex = await page({ filter: { search: `${prefix.slice(0, 3)}.*` } });
    expect(regex.data?.users.edges.map((edge) => edge.node.id)).toEqual(
      created.map((user) => user.id),
    );
  });

  it('ranks a whole word above the start of one, and narrows with each word typed', async () => {
    const tag = `w${randomId().slice(0, 6)}`;
    const signedUpAs = async (username: string, displayName: string) => {
      const body = await signUp(newUser(username, { username, displayName }));
      return (body.data?.signUp.user as UserView).id;
    };
    const start = await signedUpAs(`${tag}_1`, `Zoë ${tag}berg`);
    const whole = await signedUpAs(`${tag}_2`, `${tag}`);
    const accented = await signedUpAs(`${tag}_3`, `Zoë${tag}`);
    const ids = async (search: string) =>
      (await page({ filter: { search } })).data?.users.edges.map((edge) => edge.node.id);

    // The word in both names, then in the username with a start in the display name.
    expect(await ids(tag)).toEqual([whole, start, accented]);
    expect(await ids(`${tag}b`)).toEqual([start]);
    expect(await ids(`${tag}BERG`)).toEqual([start]);
    // Case- and diacritic-insensitive, whole or started.
    expect(await ids(`ZOE${tag}`)).toEqual([accented]);
    expect(await ids(`zoë${tag.slice(0, 2)}`)).toEqual([accented]);
    // Every word typed must match: a second word narrows.
    expect(await ids(`${tag} ${tag}b`)).toEqual([start]);
    expect(await ids(`${tag} zoe`)).toEqual([start, accented]);
    expect(await ids(`${tag}berg zoe${tag}`)).toEqual([]);
  });

  it('finds a renamed user by the new display name only', async () => {
    const tag = `r${randomId().slice(0, 6)}`;
    const input = newUser(`${tag}_old`, { username: `${tag}_u`, displayName: `${tag}old` });
    const body = await signUp(input);
    const user = body.data?.signUp.user as UserView;
    const renamed = await graphqlRequest(
      service.url,
      'mutation ($input: UpdateProfileInput!) { updateProfile(input: $input) { id } }',
      { input: { displayName: `${tag}new` } },
      bearer(body.data?.signUp.accessToken as string),
    );
    expect(renamed.body.errors).toBeUndefined();
    const ids = async (search: string) =>
      (await page({ filter: { search } })).data?.users.edges.map((edge) => edge.node.id);
    expect(await ids(`${tag}ne`)).toEqual([user.id]);
    expect(await ids(`${tag}ol`)).toEqual([]);
  });

  it('indexes, when it starts, the names of users stored before names were indexed', async () => {
    const first = await startUsers();
    const tag = `l${randomId().slice(0, 6)}`;
    const body = await signUp(newUser(tag, { displayName: `${tag}legacy` }), first.service.url);
    const user = body.data?.signUp.user as UserView;
    const connection = await mongoose
      .createConnection(first.config.MONGO_URL, { dbName: first.config.USERS_DB })
      .asPromise();
    cleanup.add(() => connection.close());
    await connection
      .collection('users')
      .updateOne({ username: user.username }, { $unset: { nameTerms: '' } });
    const ids = async (url: string) => {
      const found = await graphqlRequest<{ users: UserPage }>(
        url,
        USERS,
        { filter: { search: `${tag}leg` } },
        first.auth('MEMBER'),
      );
      return found.body.data?.users.edges.map((edge) => edge.node.id);
    };
    expect(await ids(first.service.url)).toEqual([]);
    const again = await startUsers(first.env);
    expect(await ids(again.service.url)).toEqual([user.id]);
  });

  it('refuses first over 100 and a malformed cursor with BAD_USER_INPUT naming the argument', async () => {
    const tooMany = await page({ first: 101 });
    expect(tooMany.data).toBeNull();
    expect(errorOf(tooMany)).toEqual({ code: 'BAD_USER_INPUT', field: 'first' });
    for (const after of ['not-a-cursor', Buffer.from('[1,"x"]').toString('base64url')]) {
      const badCursor = await page({ after });
      expect(badCursor.data).toBeNull();
      expect(errorOf(badCursor)).toEqual({ code: 'BAD_USER_INPUT', field: 'after' });
    }
  });

  it('is UNAUTHENTICATED without a token', async () => {
    const body = await page({}, {});
    expect(errorOf(body).code).toBe('UNAUTHENTICATED');
  });
});

describe('_entities (federation references)', () => {
  const accounts = [newUser('dave'), newUser('erin')];
  const users: AuthView[] = [];

  beforeAll(async () => {
    for (const account of accounts) users.push((await signUp(account)).data?.signUp as AuthView);
  });

  const representations = () => users.map((user) => ({ __typename: 'User', id: user.user.id }));

  it('resolves User references in one request, in order, with email for the user only', async () => {
    const [dave, erin] = users as [AuthView, AuthView];
    const { body } = await graphqlRequest<{ _entities: (UserView | null)[] }>(
      service.url,
      ENTITIES,
      { representations: [...representations(), { __typename: 'User', id: randomId() }] },
      bearer(erin.accessToken),
    );
    expect(body.errors).toBeUndefined();
    expect(body.data?._entities).toEqual([
      { ...dave.user, email: null },
      { ...erin.user, email: accounts[1]?.email },
      null,
    ]);
  });

  it('is UNAUTHENTICATED, and reveals no user, without a valid token', async () => {
    for (const headers of [{}, bearer('not.a.token')]) {
      const { body } = await graphqlRequest<{ _entities: unknown[] }>(
        service.url,
        ENTITIES,
        { representations: representations() },
        headers,
      );
      // Refused before execution: no data at all, one request-level error.
      expect(body.data).toBeUndefined();
      expect(body.errors?.map((error) => error.extensions?.code)).toEqual(['UNAUTHENTICATED']);
    }
  });
});

describe('the first admin', () => {
  it('is seeded from ADMIN_USERNAME, ADMIN_EMAIL and ADMIN_PASSWORD once, across restarts', async () => {
    const { service: first, env } = await startUsers();
    await first.stop();
    const { service: restarted } = await startUsers(env);
    const admin = await login(ADMIN.username, ADMIN.password, restarted.url);
    expect(admin.errors).toBeUndefined();
    const adminHeaders = bearer(admin.data?.login.accessToken ?? '');

    const admins = async (url: string) =>
      (
        await graphqlRequest<{ users: UserPage }>(
          url,
          USERS,
          { filter: { role: 'ADMIN' } },
          adminHeaders,
        )
      ).body.data?.users;
    expect(await admins(restarted.url)).toMatchObject({
      totalCount: 1,
      edges: [
        {
          node: {
            id: admin.data?.login.user.id,
            username: ADMIN.username.toLowerCase(),
            email: ADMIN.email,
            role: 'ADMIN',
          },
        },
      ],
    });

    // Other ADMIN_ settings on a later start do not add a second admin either.
    const other = newUser('root');
    const { service: reconfigured } = await startUsers({
      ...env,
      ADMIN_USERNAME: other.username,
      ADMIN_EMAIL: other.email,
      ADMIN_PASSWORD: other.password,
    });
    expect((await admins(reconfigured.url))?.totalCount).toBe(1);
    expect(
      errorOf(await login(other.username ?? '', other.password ?? '', reconfigured.url)),
    ).toEqual({ code: 'UNAUTHENTICATED' });
  });
});

describe('logs', () => {
  it('never contain a password or a token, even at trace level', async () => {
    const lines: string[] = [];
    const destination = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    const { service: logged } = await startUsers(
      {},
      createLogger({ name: 'users', level: 'trace', destination }),
    );

    const account = newUser('frank');
    const signedUp = await signUp(account, logged.url);
    const loggedIn = await login(account.email ?? '', account.password ?? '', logged.url);
    const wrongPassword = `${account.password} wrong`;
    expect((await login(account.username ?? '', wrongPassword, logged.url)).errors).toHaveLength(1);
    const refreshed = await refreshAt(logged.url, loggedIn.data?.login.refreshToken ?? '');
    const newPassword = `a new long passphrase ${randomId()}`;
    const changed = await graphqlRequest(
      logged.url,
      'mutation ChangePassword($input: ChangePasswordInput!) { changePassword(input: $input) }',
      { input: { currentPassword: account.password, newPassword } },
      bearer(refreshed.data?.refreshSession.accessToken ?? ''),
    );
    expect(changed.body.errors).toBeUndefined();

    const text = lines.join('');
    // The capture works: the operations were logged.
    expect(text).toContain('"operationName":"SignUp"');
    expect(text).toContain('"operationName":"Login"');
    expect(text).toContain('"operationName":"Refresh"');
    expect(text).toContain('"operationName":"ChangePassword"');
    const secrets = [
      account.password,
      wrongPassword,
      ADMIN.password,
      signedUp.data?.signUp.accessToken,
      signedUp.data?.signUp.refreshToken,
      loggedIn.data?.login.accessToken,
      loggedIn.data?.login.refreshToken,
      refreshed.data?.refreshSession.accessToken,
      refreshed.data?.refreshSession.refreshToken,
      newPassword,
    ];
    for (const secret of secrets) {
      expect(secret).toEqual(expect.any(String));
      expect(text).not.toContain(secret);
    }
  });
});
