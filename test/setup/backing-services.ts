/**
 * Picks the MongoDB and Redis the tests run against, in order of preference:
 * MongoDB: MONGO_URL → a testcontainers MongoDB when a Docker engine answers → the embedded engine.
 * Redis:   REDIS_URL → a testcontainers Redis when a Docker engine answers → a redis-server this
 *          process starts on a free port → a clear failure saying how to fix it.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { startEmbeddedMongo } from '../../shared/embedded-mongo/src';
import { startRedisServer } from '../../shared/src/testing/redis-server';

export interface BackingService {
  url: string;
  description: string;
  stop(): Promise<void>;
}

function dockerAvailable(): boolean {
  if (!process.env.DOCKER_HOST && !existsSync('/var/run/docker.sock')) return false;
  return spawnSync('docker', ['info'], { stdio: 'ignore', timeout: 5_000 }).status === 0;
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
