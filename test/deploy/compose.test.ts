import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Ajv2020 from 'ajv/dist/2020';
import { parse } from 'yaml';
import { loadDocumentsConfig } from '@psa/documents-service';
import { loadGatewayConfig } from '@psa/gateway';
import { loadProjectsConfig } from '@psa/projects-service';
import { loadTasksConfig } from '@psa/tasks-service';
import { loadNotificationsConfig } from '@psa/notifications-service';
import { loadTimeConfig } from '@psa/time-service';
import { loadUsersConfig } from '@psa/users-service';

/**
 * docker-compose.yml checked offline: the Compose Specification's JSON schema (the one Docker
 * Compose validates with, vendored in compose-spec/) accepts it, and its ports, health checks and
 * environment agree with the services' configuration schemas (one source of truth).
 */

const ROOT = path.resolve(__dirname, '..', '..');
const COMPOSE_FILE = path.join(ROOT, 'docker-compose.yml');

interface ComposeService {
  image?: string;
  build?: { context?: string; dockerfile?: string; args?: Record<string, string> };
  environment?: Record<string, string | number | boolean | null>;
  ports?: string[];
  depends_on?: Record<string, { condition?: string }> | string[];
  healthcheck?: { test?: string[] | string; disable?: boolean };
  volumes?: string[];
  secrets?: string[];
}

interface ComposeFile {
  services: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
  secrets?: Record<string, { file?: string }>;
}

type Loader = (env: NodeJS.ProcessEnv) => object;

/** Each process: its config loader and port variable. */
const APPS: Record<string, { load: Loader; portVar: string }> = {
  users: { load: loadUsersConfig, portVar: 'USERS_PORT' },
  projects: { load: loadProjectsConfig, portVar: 'PROJECTS_PORT' },
  tasks: { load: loadTasksConfig, portVar: 'TASKS_PORT' },
  documents: { load: loadDocumentsConfig, portVar: 'DOCUMENTS_PORT' },
  time: { load: loadTimeConfig, portVar: 'TIME_PORT' },
  notifications: { load: loadNotificationsConfig, portVar: 'NOTIFICATIONS_PORT' },
  gateway: { load: loadGatewayConfig, portVar: 'GATEWAY_PORT' },
};
const SUBGRAPHS = ['users', 'projects', 'tasks', 'documents', 'time', 'notifications'];

const composeText = readFileSync(COMPOSE_FILE, 'utf8');
const compose = parse(composeText, { merge: true }) as ComposeFile;
const serviceOf = (name: string): ComposeService => {
  const service = compose.services[name];
  if (!service) throw new Error(`docker-compose.yml has no service ${name}`);
  return service;
};

/** `KEY=value` lines of an env file. */
function parseEnvFile(text: string): Record<string, string> {
  return Object.fromEntries(
    text
      .split('\n')
      .map((line) => /^([A-Z0-9_]+)=(.*)$/.exec(line.trim()))
      .filter((match): match is RegExpExecArray => match !== null)
      .map((match) => [match[1]!, match[2]!]),
  );
}

/** Compose's `${VAR}`, `${VAR:-default}` and `${VAR-default}` against `vars`. */
function interpolate(value: string, vars: Record<string, string>): string {
  return value.replace(
    /\$\{(\w+)(?::?-([^}]*))?\}/g,
    (_, name: string, fallback?: string) => vars[name] || fallback || '',
  );
}

const interpolated = [...composeText.matchAll(/\$\{(\w+)/g)].map((m) => m[1]!);
const envExample = parseEnvFile(readFileSync(path.join(ROOT, 'compose.env.example'), 'utf8'));

/** A value with every string in it interpolated against `vars`. */
function interpolateAll(value: unknown, vars: Record<string, string>): unknown {
  if (typeof value === 'string') return interpolate(value, vars);
  if (Array.isArray(value)) return value.map((item) => interpolateAll(item, vars));
  if (value !== null && typeof value === 'object')
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [key, interpolateAll(item, vars)]),
    );
  return value;
}

// The schema's union types ("string or number") are what strictTypes would warn about; the
// warnings would go to the console.
const validateCompose = new Ajv2020({ allErrors: true, strictTypes: false, logger: false }).compile(
  JSON.parse(readFileSync(path.join(__dirname, 'compose-spec', 'compose-spec.json'), 'utf8')),
);

/**
 * What the Compose Specification's schema finds wrong with a compose file, as Compose checks it:
 * YAML merge keys resolved and variables interpolated (with compose.env.example) first.
 */
function schemaErrors(text: string): string[] {
  const document = interpolateAll(parse(text, { merge: true }), envExample);
  if (validateCompose(document)) return [];
  return (validateCompose.errors ?? []).map((error) => `${error.instancePath} ${error.message}`);
}

describe('docker-compose.yml', () => {
  const cleanup: (() => void)[] = [];
  afterAll(() => cleanup.forEach((fn) => fn()));

  const tempDir = (): string => {
    const dir = mkdtempSync(path.join(tmpdir(), 'psa-compose-'));
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    return dir;
  };

  it("is valid under the Compose Specification's schema", () => {
    expect(schemaErrors(composeText)).toEqual([]);
  });

  it('fails validation when broken, so the check above means something', () => {
    const broken = composeText.replace('condition: service_healthy', 'condition: healthy');
    expect(schemaErrors(broken)).toContainEqual(
      expect.stringMatching(
        /^\/services\/users\/depends_on\/mongo\/condition must be equal to one of/,
      ),
    );
    const misspelt = composeText.replace('    healthcheck:', '    health_check:');
    expect(schemaErrors(misspelt)).toContain('/services/mongo must NOT have additional properties');
  });

  it('has MongoDB 7 and Redis 7 with health checks and named volumes', () => {
    const expected = {
      mongo: { image: 'mongo:7', probe: 'mongosh', dataDir: '/data/db' },
      redis: { image: 'redis:7', probe: 'redis-cli', dataDir: '/data' },
    };
    for (const [name, { image, probe, dataDir }] of Object.entries(expected)) {
      const service = serviceOf(name);
      expect(service.image).toBe(image);
      expect(service.healthcheck?.test).toContain(probe);
      const volume = service.volumes?.find((v) => v.endsWith(`:${dataDir}`));
      const volumeName = volume?.split(':')[0] ?? '';
      expect(Object.keys(compose.volumes ?? {})).toContain(volumeName);
    }
  });

  it('builds every subgraph and the gateway from the Dockerfile with its SERVICE', () => {
    for (const name of Object.keys(APPS)) {
      const service = serviceOf(name);
      expect(service.build?.context).toBe('.');
      expect(service.build?.dockerfile ?? 'Dockerfile').toBe('Dockerfile');
      expect(service.build?.args).toEqual({ SERVICE: name });
      // The image's HEALTHCHECK (GET /healthz) applies unless compose overrides it.
      expect(service.healthcheck).toBeUndefined();
    }
  });

  it('publishes only the gateway, on its configured port', () => {
    const published = Object.entries(compose.services).filter(([, s]) => s.ports?.length);
    expect(published.map(([name]) => name)).toEqual(['gateway']);
    const gatewayPort = (loadGatewayConfig({}) as { GATEWAY_PORT: number }).GATEWAY_PORT;
    expect(serviceOf('gateway').ports).toEqual([`${gatewayPort}:${gatewayPort}`]);
  });

  it('starts subgraphs after MongoDB and Redis, and the gateway after the subgraphs, once healthy', () => {
    const dependencies: Record<string, string[]> = {
      users: ['mongo', 'redis'],
      projects: ['mongo', 'redis'],
      tasks: ['mongo', 'redis'],
      documents: ['mongo', 'redis'],
      time: ['mongo', 'redis'],
      notifications: ['mongo', 'redis'],
      gateway: ['redis', ...SUBGRAPHS],
    };
    for (const [name, expected] of Object.entries(dependencies)) {
      const dependsOn = serviceOf(name).depends_on;
      expect(Array.isArray(dependsOn)).toBe(false);
      expect(Object.keys(dependsOn ?? {}).sort()).toEqual([...expected].sort());
      for (const dependency of Object.values(dependsOn ?? {})) {
        expect(dependency).toEqual({ condition: 'service_healthy' });
      }
    }
  });

  it('sets each port to the config default, and the URLs between services to those ports', () => {
    const ports = Object.fromEntries(
      Object.entries(APPS).map(([name, { load, portVar }]) => [
        name,
        (load({}) as Record<string, number>)[portVar],
      ]),
    );
    expect(ports).toEqual({
      users: 4001,
      projects: 4002,
      tasks: 4003,
      documents: 4004,
      time: 4005,
      notifications: 4006,
      gateway: 4000,
    });
    for (const [name, { portVar }] of Object.entries(APPS)) {
      expect(Number(serviceOf(name).environment?.[portVar])).toBe(ports[name]);
    }
    const gatewayEnv = serviceOf('gateway').environment ?? {};
    for (const subgraph of SUBGRAPHS) {
      expect(gatewayEnv[`${subgraph.toUpperCase()}_URL`]).toBe(
        `http://${subgraph}:${ports[subgraph]}/graphql`,
      );
    }
    for (const name of ['projects', 'tasks', 'documents', 'time', 'notifications', 'gateway']) {
      expect(serviceOf(name).environment?.JWKS_URL).toBe(
        `http://users:${ports.users}/.well-known/jwks.json`,
      );
    }
    // The image's service stages expose the same ports and set the same variables.
    const dockerfile = readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8');
    for (const [name, { portVar }] of Object.entries(APPS)) {
      const stage = new RegExp(
        `FROM \\S+ AS service-${name}\\n(?:.*\\n)*?ENV ${portVar}=${ports[name]}\\nEXPOSE ${ports[name]}\\n`,
      );
      expect(dockerfile).toMatch(stage);
    }
  });

  it('gives the signing key to the users service only, as a secret file', () => {
    expect(compose.secrets?.jwt_private_key?.file).toBe('./secrets/jwt-private.pem');
    const holders = Object.entries(compose.services).filter(([, s]) => s.secrets?.length);
    expect(holders.map(([name]) => name)).toEqual(['users', 'documents']);
    expect(serviceOf('users').secrets).toEqual(['jwt_private_key']);
    // The documents service signs file links with a key of its own, also a secret file.
    expect(serviceOf('documents').secrets).toEqual(['files_signing_secret']);
    expect(serviceOf('documents').environment?.FILES_SIGNING_SECRET_FILE).toBe(
      '/run/secrets/files_signing_secret',
    );
    expect(serviceOf('users').environment?.JWT_PRIVATE_KEY_FILE).toBe(
      '/run/secrets/jwt_private_key',
    );
    expect(composeText).not.toMatch(/-----BEGIN|JWT_PRIVATE_KEY:|JWT_PUBLIC_KEYS:/);
  });

  it('documents every variable it reads from the environment in compose.env.example', () => {
    expect(interpolated.length).toBeGreaterThan(0);
    expect(Object.keys(envExample).sort()).toEqual([...new Set(interpolated)].sort());
  });

  it("loads each service's compose environment with that service's config loader", () => {
    const dir = tempDir();
    const keyFile = path.join(dir, 'jwt-private.pem');
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    writeFileSync(keyFile, privateKey.export({ type: 'pkcs8', format: 'pem' }));
    // compose.env.example, with what a deployer fills in.
    const vars = {
      ...envExample,
      ADMIN_PASSWORD: 'a deployment admin passphrase',
      CORS_ORIGINS: 'https://console.example.com',
      INTROSPECTION: 'false',
    };
    for (const [name, { load }] of Object.entries(APPS)) {
      const env = Object.fromEntries(
        Object.entries(serviceOf(name).environment ?? {}).map(([key, value]) => [
          key,
          key.endsWith('_FILE') ? keyFile : interpolate(String(value ?? ''), vars),
        ]),
      );
      const config = load(env) as Record<string, unknown>;
      expect(config).toMatchObject({ NODE_ENV: 'production', REDIS_URL: 'redis://redis:6379' });
      if (name !== 'gateway') expect(config.MONGO_URL).toBe('mongodb://mongo:27017');
      // zod drops names it does not know: a misspelt variable would load and do nothing.
      for (const key of Object.keys(env)) {
        expect([name, key in config || key.replace(/_FILE$/, '') in config]).toEqual([name, true]);
      }
    }
  });

  it('keeps the users service from starting in production without the key', () => {
    const env = Object.fromEntries(
      Object.entries(serviceOf('users').environment ?? {})
        .filter(([key]) => !key.endsWith('_FILE'))
        .map(([key, value]) => [key, interpolate(String(value ?? ''), {})]),
    );
    expect(() => loadUsersConfig(env)).toThrow(/JWT_PRIVATE_KEY: required in production/);
  });
});
