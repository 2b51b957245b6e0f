import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { loadDocumentsConfig, startDocumentsService } from '@psa/documents-service';
import { loadGatewayConfig, startGateway } from '@psa/gateway';
import { loadProjectsConfig, startProjectsService } from '@psa/projects-service';
import { loadOrCreateDevSigningKey, silentLogger, type SigningKey } from '@psa/shared';
import { graphqlRequest, type GraphQLResponse } from '@psa/shared/testing';
import { loadTasksConfig, startTasksService } from '@psa/tasks-service';
import { loadUsersConfig, startUsersService } from '@psa/users-service';

/** The one browser origin the test gateway allows. */
export const CONSOLE_ORIGIN = 'https://console.psa.test';

export const ADMIN = {
  username: 'admin',
  email: 'admin@psa.test',
  password: 'admin password for tests',
};

export interface Graph {
  gatewayUrl: string;
  subgraphUrls: { users: string; projects: string; tasks: string; documents: string };
  signingKey: SigningKey;
  /** Runs an operation through the gateway. */
  query<T = Record<string, unknown>>(
    query: string,
    variables?: Record<string, unknown>,
    headers?: Record<string, string>,
  ): Promise<GraphQLResponse<T>>;
  stop(): Promise<void>;
}

/**
 * Boots the real graph for a test file: the four subgraphs and the gateway on free ports, each
 * subgraph on its own fresh databases in the test MongoDB (MONGO_URL from global setup), with a
 * throwaway signing key and the admin seeded.
 */
export async function startGraph(): Promise<Graph> {
  const keysDir = mkdtempSync(path.join(os.tmpdir(), 'psa-keys-'));
  const suffix = randomBytes(4).toString('hex');
  const env: NodeJS.ProcessEnv = {
    NODE_ENV: 'test',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'silent',
    MONGO_URL: process.env.MONGO_URL,
    REDIS_URL: process.env.REDIS_URL,
    JWT_KEYS_DIR: keysDir,
    USERS_PORT: '0',
    PROJECTS_PORT: '0',
    TASKS_PORT: '0',
    DOCUMENTS_PORT: '0',
    GATEWAY_PORT: '0',
    USERS_DB: `psa_users_${suffix}`,
    PROJECTS_DB: `psa_projects_${suffix}`,
    TASKS_DB: `psa_tasks_${suffix}`,
    DOCUMENTS_DB: `psa_documents_${suffix}`,
    ADMIN_USERNAME: ADMIN.username,
    ADMIN_EMAIL: ADMIN.email,
    ADMIN_PASSWORD: ADMIN.password,
    CORS_ORIGINS: CONSOLE_ORIGIN,
  };
  const logger = silentLogger();
  const started: { stop(): Promise<void> }[] = [];
  const stop = async (): Promise<void> => {
    for (const service of started.reverse()) await service.stop();
    rmSync(keysDir, { recursive: true, force: true });
  };
  try {
    const users = await startUsersService(loadUsersConfig(env), logger);
    started.push(users);
    const projects = await startProjectsService(loadProjectsConfig(env), logger);
    started.push(projects);
    const tasks = await startTasksService(loadTasksConfig(env), logger);
    started.push(tasks);
    const documents = await startDocumentsService(loadDocumentsConfig(env), logger);
    started.push(documents);
    const gateway = await startGateway(
      loadGatewayConfig({
        ...env,
        USERS_URL: users.url,
        PROJECTS_URL: projects.url,
        TASKS_URL: tasks.url,
        DOCUMENTS_URL: documents.url,
      }),
      logger,
    );
    started.push(gateway);
    await Promise.all([
      users.whenReady(),
      projects.whenReady(),
      tasks.whenReady(),
      documents.whenReady(),
    ]);
    return {
      gatewayUrl: gateway.url,
      subgraphUrls: {
        users: users.url,
        projects: projects.url,
        tasks: tasks.url,
        documents: documents.url,
      },
      signingKey: loadOrCreateDevSigningKey(keysDir),
      query: (query, variables, headers) => graphqlRequest(gateway.url, query, variables, headers),
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
