/**
 * The graph as users run it, each in processes of its own, loaded from another process:
 * - `npm start`: scripts/start-dev.ts in one child process (the embedded engine, every
 *   subgraph and the gateway on one event loop, no Redis: in-process bus and pub/sub), as a
 *   fresh clone runs it;
 * - deployed: the embedded engine, each subgraph and the gateway in a process of its own (the
 *   containers' entrypoints from source), exchanging events through Redis.
 * Both get free ports, a throwaway data directory and signing keys, and rate limits no benchmark
 * reaches. BENCH_PROF_DIR=<dir> writes a `--cpu-prof` profile of every child when it stops.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { bearer, freePort, graphqlRequest, randomId } from '@psa/shared/testing';
import { UNLIMITED } from './bench-graph';

const ROOT = path.join(__dirname, '..', '..');

export interface Remote {
  query<T>(
    query: string,
    variables?: Record<string, unknown>,
    headers?: Record<string, string>,
  ): Promise<T>;
}

export interface RemotePerson {
  id: string;
  headers: Record<string, string>;
}

export interface Topology extends Remote {
  name: string;
  gatewayUrl: string;
  /** Subgraph name → its /graphql URL. */
  subgraphUrls: Record<string, string>;
  /** Child name → pid, for CPU readings. */
  pids: Record<string, number>;
  admin: RemotePerson;
  stop(): Promise<void>;
}

const running = new Set<ChildProcess>();
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    for (const child of running) child.kill('SIGKILL');
    process.exit(130);
  });
}

const ADMIN_PASSWORD = 'bench admin password 1';

/**
 * Starts a child; with BENCH_PROF_DIR, `--cpu-prof`'s default file names (with the pid and the
 * thread: tsx's loader thread writes one too) name the child through `pids`.
 */
function start(args: string[], env: NodeJS.ProcessEnv): ChildProcess {
  const profile = process.env.BENCH_PROF_DIR
    ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROF_DIR}`]
    : [];
  const child = spawn(process.execPath, [...profile, '--conditions=source', ...args], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  running.add(child);
  child.once('exit', () => running.delete(child));
  return child;
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  await exited;
  clearTimeout(timer);
}

async function waitReady(url: string, children: ChildProcess[]): Promise<void> {
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    const dead = children.find((child) => child.exitCode !== null);
    if (dead) throw new Error(`a child process exited (${dead.exitCode}) before ${url} was ready`);
    const ready = await fetch(url).then(
      (response) => response.ok,
      () => false,
    );
    if (ready) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`${url} not ready within 120 s`);
}

const baseEnv = (): NodeJS.ProcessEnv => {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const key of Object.keys(env)) {
    if (/_(PORT|URL|DB)$/.test(key) || key === 'MONGO_URL' || key === 'REDIS_URL') delete env[key];
  }
  return {
    ...env,
    ...UNLIMITED,
    NODE_ENV: 'development',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    ADMIN_USERNAME: 'admin',
    ADMIN_EMAIL: 'admin@bench.local',
    ADMIN_PASSWORD,
  };
};

async function loginPerson(remote: Remote, login: string, password: string) {
  const data = await remote.query<{ login: { accessToken: string; user: { id: string } } }>(
    'mutation ($input: LoginInput!) { login(input: $input) { accessToken user { id } } }',
    { input: { login, password } },
  );
  return { id: data.login.user.id, headers: bearer(data.login.accessToken) };
}

/** The seeded admin, once the users service has seeded it (it does so after listening). */
async function loginAdmin(remote: Remote): Promise<RemotePerson> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await loginPerson(remote, 'admin', ADMIN_PASSWORD);
    } catch (error) {
      if (attempt >= 100) throw error;
      await new Promise((resolve) => setTimeout(resolve, 300));
    }
  }
}

function remoteOf(gatewayUrl: string): Remote {
  return {
    query: async <T>(
      query: string,
      variables: Record<string, unknown> = {},
      headers: Record<string, string> = {},
    ): Promise<T> => {
      const { body } = await graphqlRequest<T>(gatewayUrl, query, variables, headers);
      if (body.errors || !body.data) throw new Error(JSON.stringify(body.errors));
      return body.data;
    },
  };
}

/** Signs up a user, gives them `role` as `admin` and logs them in. */
export async function signUpRemote(
  remote: Remote,
  admin: RemotePerson,
  role: 'MANAGER' | 'MEMBER',
): Promise<RemotePerson> {
  const username = `${role.toLowerCase()}-${randomId().slice(0, 8)}`;
  const password = `${username} password 1`;
  const { signUp } = await remote.query<{ signUp: { user: { id: string } } }>(
    'mutation ($input: SignUpInput!) { signUp(input: $input) { user { id } } }',
    { input: { username, email: `${username}@example.com`, password } },
  );
  if (role !== 'MEMBER') {
    await remote.query(
      'mutation ($input: SetUserRoleInput!) { setUserRole(input: $input) { id } }',
      { input: { userId: signUp.user.id, role } },
      admin.headers,
    );
  }
  return loginPerson(remote, username, password);
}

/**
 * The Node arguments of the `start` script in package.json (`exec node <flags> <script>`), less
 * `--conditions=source`, which {@link start} adds: the bench runs the flags users run.
 */
function npmStartArgs(): string[] {
  const { scripts } = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
    scripts: Record<string, string>;
  };
  const words = (scripts.start ?? '').split(/\s+/);
  return words.slice(words.indexOf('node') + 1).filter((word) => word !== '--conditions=source');
}

/**
 * `npm start` in a child process, as a fresh clone runs it (the console served from a stub), with
 * `extraEnv` on top (e.g. `SUBGRAPH_CALLS: 'http'`) and named `name`.
 */
export async function startNpmStart(
  extraEnv: NodeJS.ProcessEnv = {},
  name = 'npm start',
): Promise<Topology> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'psa-bench-start-'));
  const webDir = path.join(dataDir, 'web');
  mkdirSync(webDir);
  writeFileSync(path.join(webDir, 'index.html'), '<!doctype html><title>bench</title>');
  const ports = {
    GATEWAY_PORT: await freePort(),
    USERS_PORT: await freePort(),
    PROJECTS_PORT: await freePort(),
    TASKS_PORT: await freePort(),
    DOCUMENTS_PORT: await freePort(),
    TIME_PORT: await freePort(),
    NOTIFICATIONS_PORT: await freePort(),
    EMBEDDED_MONGO_PORT: await freePort(),
  };
  const env: NodeJS.ProcessEnv = {
    ...baseEnv(),
    ...Object.fromEntries(Object.entries(ports).map(([key, port]) => [key, String(port)])),
    DATA_DIR: dataDir,
    WEB_DIR: webDir,
    ...extraEnv,
  };
  const child = start(npmStartArgs(), env);
  const base = `http://127.0.0.1:${ports.GATEWAY_PORT}`;
  const stop = async () => {
    await stopChild(child);
    rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    await waitReady(`${base}/readyz`, [child]);
    const remote = remoteOf(`${base}/graphql`);
    const admin = await loginAdmin(remote);
    const sub = (port: number) => `http://127.0.0.1:${port}/graphql`;
    return {
      name,
      ...remote,
      gatewayUrl: `${base}/graphql`,
      subgraphUrls: {
        users: sub(ports.USERS_PORT),
        projects: sub(ports.PROJECTS_PORT),
        tasks: sub(ports.TASKS_PORT),
        documents: sub(ports.DOCUMENTS_PORT),
        time: sub(ports.TIME_PORT),
        notifications: sub(ports.NOTIFICATIONS_PORT),
      },
      pids: { [name]: child.pid ?? 0 },
      admin,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

const SUBGRAPHS = ['users', 'projects', 'tasks', 'documents', 'time', 'notifications'] as const;

/**
 * The deployed topology: the engine, each subgraph and the gateway in processes of their own,
 * events and rate limits through Redis (REDIS_URL, default 127.0.0.1:6379) under keys of this run.
 * Uploaded files go to the throwaway data directory; `extraEnv` reaches every child (e.g. a
 * larger MAX_UPLOAD_BYTES).
 */
export async function startDeployed(extraEnv: NodeJS.ProcessEnv = {}): Promise<Topology> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'psa-bench-deployed-'));
  const prefix = `psa:bench:${randomBytes(4).toString('hex')}:`;
  const children: ChildProcess[] = [];
  const stop = async () => {
    for (const child of [...children].reverse()) await stopChild(child);
    rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    const mongoPort = await freePort();
    children.push(
      start(
        [
          '--import',
          'tsx',
          'shared/embedded-mongo/src/cli.ts',
          '--port',
          String(mongoPort),
          '--quiet',
        ],
        baseEnv(),
      ),
    );
    const env: NodeJS.ProcessEnv = {
      ...baseEnv(),
      MONGO_URL: `mongodb://127.0.0.1:${mongoPort}`,
      REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
      JWT_KEYS_DIR: path.join(dataDir, 'keys'),
      EVENT_STREAM_PREFIX: `${prefix}events:`,
      RATE_LIMIT_KEY_PREFIX: `${prefix}rl:`,
      FILES_DIR: path.join(dataDir, 'files'),
      ...extraEnv,
    };
    const urls: Record<string, string> = {};
    const pids: Record<string, number> = {};
    // Users first: it writes the signing keys every other process reads.
    for (const group of [['users'], SUBGRAPHS.slice(1)]) {
      await Promise.all(
        group.map(async (name) => {
          const port = await freePort();
          const child = start(['--import', 'tsx', `services/${name}/src/index.ts`], {
            ...env,
            [`${name.toUpperCase()}_PORT`]: String(port),
          });
          children.push(child);
          pids[name] = child.pid ?? 0;
          urls[name] = `http://127.0.0.1:${port}/graphql`;
          await waitReady(`http://127.0.0.1:${port}/readyz`, children);
        }),
      );
    }
    const gatewayPort = await freePort();
    const gateway = start(['--import', 'tsx', 'gateway/src/index.ts'], {
      ...env,
      GATEWAY_PORT: String(gatewayPort),
      ...Object.fromEntries(SUBGRAPHS.map((name) => [`${name.toUpperCase()}_URL`, urls[name]])),
    });
    children.push(gateway);
    pids.gateway = gateway.pid ?? 0;
    pids.engine = children[0]?.pid ?? 0;
    const base = `http://127.0.0.1:${gatewayPort}`;
    await waitReady(`${base}/readyz`, children);
    const remote = remoteOf(`${base}/graphql`);
    const admin = await loginAdmin(remote);
    return {
      name: 'deployed',
      ...remote,
      gatewayUrl: `${base}/graphql`,
      subgraphUrls: urls,
      pids,
      admin,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
