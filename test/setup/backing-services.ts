/**
 * Picks the MongoDB and Redis the tests run against, in order of preference:
 * MongoDB: MONGO_URL → a testcontainers MongoDB when a Docker engine answers → the embedded engine.
 * Redis:   REDIS_URL → a testcontainers Redis when a Docker engine answers → a redis-server this
 *          process starts on a free port → a clear failure saying how to fix it.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import net from 'node:net';
import { startEmbeddedMongo } from '../../shared/embedded-mongo/src';

export interface BackingService {
  url: string;
  description: string;
  stop(): Promise<void>;
}

function dockerAvailable(): boolean {
  if (!process.env.DOCKER_HOST && !existsSync('/var/run/docker.sock')) return false;
  return spawnSync('docker', ['info'], { stdio: 'ignore', timeout: 5_000 }).status === 0;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export async function startMongo(): Promise<BackingService> {
  if (process.env.MONGO_URL) {
    return {
      url: process.env.MONGO_URL,
      description: `MONGO_URL (${process.env.MONGO_URL})`,
      stop: async () => undefined,
    };
  }
  if (dockerAvailable()) {
    const { GenericContainer, Wait } = await import('testcontainers');
    const container = await new GenericContainer('mongo:7')
      .withExposedPorts(27017)
      .withWaitStrategy(Wait.forLogMessage(/Waiting for connections/))
      .start();
    const url = `mongodb://${container.getHost()}:${container.getMappedPort(27017)}`;
    return {
      url,
      description: `testcontainers mongo:7 (${url})`,
      stop: async () => void (await container.stop()),
    };
  }
  const engine = await startEmbeddedMongo({ port: 0 });
  return {
    url: engine.uri,
    description: `embedded engine (${engine.uri})`,
    stop: () => engine.stop(),
  };
}

async function waitForRedis(port: number, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`redis-server exited with code ${child.exitCode}`);
    const ok = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1', () => socket.write('PING\r\n'));
      socket.once('data', (data) => {
        socket.destroy();
        resolve(data.toString().startsWith('+PONG'));
      });
      socket.once('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error('redis-server did not answer within 10 s');
}

export async function startRedis(): Promise<BackingService> {
  if (process.env.REDIS_URL) {
    return {
      url: process.env.REDIS_URL,
      description: `REDIS_URL (${process.env.REDIS_URL})`,
      stop: async () => undefined,
    };
  }
  if (dockerAvailable()) {
    const { GenericContainer } = await import('testcontainers');
    const container = await new GenericContainer('redis:7').withExposedPorts(6379).start();
    const url = `redis://${container.getHost()}:${container.getMappedPort(6379)}`;
    return {
      url,
      description: `testcontainers redis:7 (${url})`,
      stop: async () => void (await container.stop()),
    };
  }
  if (spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status !== 0) {
    throw new Error(
      'No Redis for the tests: set REDIS_URL, run a Docker engine, or install redis-server (apt-get install redis-server).',
    );
  }
  return startRedisServer();
}

/** A running redis-server of the tests' own. */
export interface RedisServer extends BackingService {
  port: number;
}

/**
 * Starts `redis-server` without persistence on `port` (default a free one) and resolves once it
 * answers; `stop()` ends it. Tests that restart Redis start a new one on the same port.
 */
export async function startRedisServer(port?: number): Promise<RedisServer> {
  const chosen = port ?? (await freePort());
  const child = spawn(
    'redis-server',
    ['--port', String(chosen), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: 'ignore' },
  );
  await waitForRedis(chosen, child);
  return {
    port: chosen,
    url: `redis://127.0.0.1:${chosen}`,
    description: `redis-server started by the tests on port ${chosen}`,
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}
