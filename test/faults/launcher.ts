/**
 * The production topology on one machine, for the fault and load suites: the embedded MongoDB
 * engine with a data directory, a `redis-server` with an append-only file, the six subgraphs and
 * two gateways, each a separate process started from the same entrypoints as the containers (run
 * from source). Any of them can be killed and started again on the same port and data; logs go to
 * files; `stop()` ends everything, and a reaper process ends it too if the test process dies.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import {
  createWriteStream,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '@psa/shared/testing';

const ROOT = path.resolve(__dirname, '..', '..');

export const SUBGRAPHS = [
  'users',
  'projects',
  'tasks',
  'documents',
  'time',
  'notifications',
] as const;
export type Subgraph = (typeof SUBGRAPHS)[number];
export const GATEWAYS = ['gateway-a', 'gateway-b'] as const;
export type GatewayName = (typeof GATEWAYS)[number];
/** Every process of the topology, in start order. */
export type ProcessName = 'mongo' | 'redis' | Subgraph | GatewayName;
const ALL: readonly ProcessName[] = ['mongo', 'redis', ...SUBGRAPHS, ...GATEWAYS];

export const ADMIN = {
  username: 'admin',
  email: 'admin@faults.test',
  password: 'fault suite admin password',
};

export interface TopologyOptions {
  /** Variables on top of the defaults for every service and gateway process. */
  env?: NodeJS.ProcessEnv;
  /** Variables on top of those for the gateways only. */
  gatewayEnv?: NodeJS.ProcessEnv;
  /** Keep the directory (data and logs) after `stop()`. Default: kept only when FAULTS_KEEP is set. */
  keep?: boolean;
}

/** How a process ended. */
export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

interface Managed {
  name: ProcessName;
  port: number;
  child: ChildProcess | null;
  exited: Promise<Exit> | null;
}

export interface Topology {
  /** The run's directory: `mongo/` (engine data), `redis/`, `logs/<name>.log`. */
  readonly dir: string;
  /** `http://127.0.0.1:<port>` of a service or gateway (`mongodb://` and `redis://` for those two). */
  base(name: ProcessName): string;
  /** The GraphQL endpoint of a subgraph or gateway. */
  graphql(name: Subgraph | GatewayName): string;
  /** The two gateways' GraphQL endpoints. */
  readonly gatewayUrls: readonly [string, string];
  /** The pid of a running process, else null. */
  pid(name: ProcessName): number | null;
  /** Sends `signal` and resolves once the process has exited. */
  kill(name: ProcessName, signal?: NodeJS.Signals): Promise<Exit>;
  /** Sends `signal` and returns at once with the exit to come. */
  signal(name: ProcessName, signal: NodeJS.Signals): Promise<Exit>;
  /** Starts a stopped process again on its port (and data) and resolves once it is ready. */
  start(name: ProcessName): Promise<void>;
  /** The `/readyz` status of a service or gateway (0 when it does not answer). */
  readyz(name: Subgraph | GatewayName): Promise<number>;
  /** Resolves once `/readyz` of `name` answers 200; rejects after `timeoutMs`. */
  waitReady(name: Subgraph | GatewayName, timeoutMs?: number): Promise<void>;
  /** The process's log so far (every run of it). */
  log(name: ProcessName): string;
  /** Ends every process (SIGKILL), and the directory unless kept. Safe to repeat. */
  stop(): Promise<void>;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function answers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

async function redisPong(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.write('PING\r\n'));
    socket.setTimeout(1_000, () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('data', (data) => {
      socket.destroy();
      resolve(data.toString().startsWith('+PONG'));
    });
    socket.once('error', () => resolve(false));
  });
}

/**
 * A detached watchdog that SIGKILLs the process groups listed in `pidsFile` once `parentPid` is
 * gone: children never outlive a test process that crashed or was killed.
 */
function startReaper(parentPid: number, pidsFile: string): ChildProcess {
  const script = `
    const fs = require('node:fs');
    const alive = (pid) => { try { process.kill(pid, 0); return true; } catch { return false; } };
    const timer = setInterval(() => {
      if (alive(${parentPid})) return;
      clearInterval(timer);
      let pids = [];
      try { pids = fs.readFileSync(${JSON.stringify(pidsFile)}, 'utf8').split('\\n').filter(Boolean).map(Number); } catch {}
      for (const pid of pids) { try { process.kill(-pid, 'SIGKILL'); } catch {} }
      process.exit(0);
    }, 500);
  `;
  const reaper = spawn(process.execPath, ['-e', script], { detached: true, stdio: 'ignore' });
  reaper.unref();
  return reaper;
}

/**
 * Starts the topology: engine and Redis first, then the users service (it seeds the admin), the
 * other subgraphs, and both gateways; resolves once every one reports ready. Rejects (after
 * stopping what it started) when one does not become ready within two minutes.
 */
export async function startTopology(options: TopologyOptions = {}): Promise<Topology> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'psa-faults-'));
  const logs = path.join(dir, 'logs');
  mkdirSync(logs);
  mkdirSync(path.join(dir, 'mongo'));
  mkdirSync(path.join(dir, 'redis'));
  const pidsFile = path.join(dir, 'pids');
  writeFileSync(pidsFile, '');
  const reaper = startReaper(process.pid, pidsFile);
  const keep = options.keep ?? Boolean(process.env.FAULTS_KEEP);

  // Production mode, with keys from configuration as a Kubernetes Secret would give them.
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const privatePem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const publicPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();

  const managed = new Map<ProcessName, Managed>();
  for (const name of ALL)
    managed.set(name, { name, port: await freePort(), child: null, exited: null });
  const entry = (name: ProcessName): Managed => managed.get(name) as Managed;
  const port = (name: ProcessName): number => entry(name).port;
  const base = (name: ProcessName): string => {
    if (name === 'mongo') return `mongodb://127.0.0.1:${port(name)}`;
    if (name === 'redis') return `redis://127.0.0.1:${port(name)}`;
    return `http://127.0.0.1:${port(name)}`;
  };
  const graphql = (name: Subgraph | GatewayName): string => `${base(name)}/graphql`;

  const common: NodeJS.ProcessEnv = {
    ...process.env,
    NODE_ENV: 'production',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'info',
    MONGO_URL: base('mongo'),
    REDIS_URL: base('redis'),
    JWT_PUBLIC_KEYS: publicPem,
    JWT_KEYS_DIR: path.join(dir, 'keys'),
    // Production refuses to start the documents service without it (signed file URLs).
    FILES_SIGNING_SECRET: randomBytes(32).toString('hex'),
    SHUTDOWN_GRACE_MS: '5000',
    SHUTDOWN_DELAY_MS: '0',
    ...options.env,
  };
  const envOf = (name: ProcessName): NodeJS.ProcessEnv => {
    switch (name) {
      case 'mongo':
      case 'redis':
        return common;
      case 'users':
        return {
          ...common,
          USERS_PORT: String(port(name)),
          JWT_PRIVATE_KEY: privatePem,
          ADMIN_USERNAME: ADMIN.username,
          ADMIN_EMAIL: ADMIN.email,
          ADMIN_PASSWORD: ADMIN.password,
        };
      case 'projects':
      case 'tasks':
      case 'documents':
      case 'time':
      case 'notifications':
        return { ...common, [`${name.toUpperCase()}_PORT`]: String(port(name)) };
      case 'gateway-a':
      case 'gateway-b':
        return {
          ...common,
          GATEWAY_PORT: String(port(name)),
          USERS_URL: graphql('users'),
          PROJECTS_URL: graphql('projects'),
          TASKS_URL: graphql('tasks'),
          DOCUMENTS_URL: graphql('documents'),
          TIME_URL: graphql('time'),
          NOTIFICATIONS_URL: graphql('notifications'),
          // Every client of the suite is 127.0.0.1: no per-address limit may be reached.
          LOGIN_RATE_PER_IP: '100000/min',
          SIGNUP_RATE_PER_IP: '100000/min',
          PASSWORD_FAILURES_PER_ACCOUNT: '5/min',
          WS_MAX_SUBSCRIPTIONS: '200',
          ...options.gatewayEnv,
        };
      default: {
        const unknown: never = name;
        throw new Error(`unknown process ${String(unknown)}`);
      }
    }
  };
  const commandOf = (name: ProcessName): string[] => {
    const tsx = [process.execPath, '--conditions=source', '--import', 'tsx'];
    switch (name) {
      case 'mongo':
        return [
          ...tsx,
          path.join(ROOT, 'shared/embedded-mongo/src/cli.ts'),
          '--port',
          String(port(name)),
          '--dbpath',
          path.join(dir, 'mongo'),
        ];
      case 'redis':
        // As in docker-compose and k8s: an append-only file, so revocations survive a restart.
        return [
          'redis-server',
          '--port',
          String(port(name)),
          '--bind',
          '127.0.0.1',
          '--save',
          '',
          '--appendonly',
          'yes',
          '--dir',
          path.join(dir, 'redis'),
        ];
      case 'gateway-a':
      case 'gateway-b':
        return [...tsx, path.join(ROOT, 'gateway/src/index.ts')];
      default:
        return [...tsx, path.join(ROOT, `services/${name}/src/index.ts`)];
    }
  };

  const recordPids = (): void => {
    const pids = [...managed.values()].flatMap((m) => (m.child?.pid ? [m.child.pid] : []));
    writeFileSync(pidsFile, pids.join('\n'));
  };

  const spawnProcess = (name: ProcessName): void => {
    const m = entry(name);
    const [command, ...args] = commandOf(name);
    const out = createWriteStream(path.join(logs, `${name}.log`), { flags: 'a' });
    out.write(`\n=== start ${new Date().toISOString()} ===\n`);
    const child = spawn(command as string, args, {
      cwd: ROOT,
      env: envOf(name),
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.pipe(out, { end: false });
    child.stderr?.pipe(out, { end: false });
    m.child = child;
    m.exited = new Promise<Exit>((resolve) => {
      child.once('exit', (code, signal) => {
        out.end(`\n=== exit code=${code} signal=${signal} ${new Date().toISOString()} ===\n`);
        if (m.child === child) m.child = null;
        resolve({ code, signal });
      });
    });
    recordPids();
  };

  const readyz = async (name: Subgraph | GatewayName): Promise<number> => {
    try {
      const response = await fetch(`${base(name)}/readyz`, { signal: AbortSignal.timeout(2_000) });
      await response.arrayBuffer();
      return response.status;
    } catch {
      return 0;
    }
  };

  const waitReady = async (name: ProcessName, timeoutMs = 120_000): Promise<void> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const m = entry(name);
      if (!m.child) throw new Error(`${name} exited before it was ready; see ${logs}/${name}.log`);
      const ok =
        name === 'mongo'
          ? await answers(m.port)
          : name === 'redis'
            ? await redisPong(m.port)
            : (await readyz(name)) === 200;
      if (ok) return;
      if (Date.now() > deadline) {
        throw new Error(`${name} not ready within ${timeoutMs} ms; see ${logs}/${name}.log`);
      }
      await sleep(100);
    }
  };

  const start = async (name: ProcessName): Promise<void> => {
    if (entry(name).child) throw new Error(`${name} is running`);
    spawnProcess(name);
    await waitReady(name);
  };

  const signal = (name: ProcessName, sig: NodeJS.Signals): Promise<Exit> => {
    const m = entry(name);
    if (!m.child?.pid || !m.exited) throw new Error(`${name} is not running`);
    const exited = m.exited;
    process.kill(-m.child.pid, sig);
    return exited;
  };

  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    const exits: Promise<Exit>[] = [];
    for (const m of managed.values()) {
      if (!m.child?.pid || !m.exited) continue;
      exits.push(m.exited);
      try {
        process.kill(-m.child.pid, 'SIGKILL');
      } catch {
        // Gone already.
      }
    }
    await Promise.all(exits);
    process.off('exit', killAllNow);
    try {
      if (reaper.pid) process.kill(reaper.pid, 'SIGKILL');
    } catch {
      // Gone already.
    }
    if (!keep) rmSync(dir, { recursive: true, force: true });
  };
  // The test process exiting without stop(): end the children synchronously.
  const killAllNow = (): void => {
    for (const m of managed.values()) {
      try {
        if (m.child?.pid) process.kill(-m.child.pid, 'SIGKILL');
      } catch {
        // Gone already.
      }
    }
  };
  process.on('exit', killAllNow);

  try {
    spawnProcess('mongo');
    spawnProcess('redis');
    await Promise.all([waitReady('mongo'), waitReady('redis')]);
    for (const name of SUBGRAPHS) spawnProcess(name);
    await Promise.all(SUBGRAPHS.map((name) => waitReady(name)));
    for (const name of GATEWAYS) spawnProcess(name);
    await Promise.all(GATEWAYS.map((name) => waitReady(name)));
  } catch (error) {
    const logText = ALL.map((name) => {
      try {
        return `--- ${name} ---\n${readFileSync(path.join(logs, `${name}.log`), 'utf8').slice(-2_000)}`;
      } catch {
        return '';
      }
    }).join('\n');
    await stop();
    throw new Error(`${(error as Error).message}\n${logText}`);
  }

  return {
    dir,
    base,
    graphql,
    gatewayUrls: [graphql('gateway-a'), graphql('gateway-b')],
    pid: (name) => entry(name).child?.pid ?? null,
    kill: (name, sig = 'SIGKILL') => signal(name, sig),
    signal,
    start,
    readyz,
    waitReady: (name, timeoutMs) => waitReady(name, timeoutMs),
    log: (name) => {
      try {
        return readFileSync(path.join(logs, `${name}.log`), 'utf8');
      } catch {
        return '';
      }
    },
    stop,
  };
}
