/**
 * The Kubernetes manifests (k8s/), checked offline: both overlays render and validate against the
 * Kubernetes schemas (scripts/validate-k8s.ts), and what the services read matches what the
 * manifests give them: ports, probe paths, environment variable names and values (through the
 * services' own config loaders), Service and URL wiring, replicas, security settings and who may
 * reach whom under the NetworkPolicies.
 */
import { spawnSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseDocument } from 'yaml';
import { loadDocumentsConfig } from '@psa/documents-service';
import { loadGatewayConfig } from '@psa/gateway';
import { loadProjectsConfig } from '@psa/projects-service';
import { loadTasksConfig } from '@psa/tasks-service';
import { loadNotificationsConfig } from '@psa/notifications-service';
import { loadTimeConfig } from '@psa/time-service';
import { loadUsersConfig } from '@psa/users-service';
import {
  OVERLAYS,
  overlayDir,
  parseManifests,
  renderKustomization,
  REPO_ROOT,
  type K8sObject,
} from '../../scripts/validate-k8s';

// Minimal shapes of the parts of the Kubernetes API these checks read.
interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: string; values?: string[] }[];
}
interface Probe {
  httpGet?: { path: string; port: string | number };
  tcpSocket?: { port: string | number };
  exec?: { command: string[] };
  periodSeconds?: number;
}
interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { secretKeyRef?: { name: string; key: string }; configMapKeyRef?: unknown };
}
interface Container {
  name: string;
  image: string;
  ports?: { name?: string; containerPort: number }[];
  env?: EnvVar[];
  envFrom?: { configMapRef?: { name: string }; secretRef?: { name: string } }[];
  startupProbe?: Probe;
  livenessProbe?: Probe;
  readinessProbe?: Probe;
  resources?: {
    requests?: Record<string, string>;
    limits?: Record<string, string>;
  };
  securityContext?: {
    readOnlyRootFilesystem?: boolean;
    allowPrivilegeEscalation?: boolean;
    capabilities?: { drop?: string[] };
  };
  volumeMounts?: { name: string; mountPath: string }[];
}
interface PodSpec {
  containers: Container[];
  terminationGracePeriodSeconds?: number;
  securityContext?: {
    runAsNonRoot?: boolean;
    runAsUser?: number;
    fsGroup?: number;
    seccompProfile?: { type: string };
  };
  topologySpreadConstraints?: { labelSelector?: LabelSelector }[];
  volumes?: {
    name: string;
    emptyDir?: object;
    secret?: { secretName: string; items?: { key: string; path: string }[] };
  }[];
}
interface PodTemplate {
  metadata: { labels: Record<string, string> };
  spec: PodSpec;
}
interface NetworkPolicyPeer {
  podSelector?: LabelSelector;
  namespaceSelector?: LabelSelector;
}
interface NetworkPolicySpec {
  podSelector: LabelSelector;
  policyTypes?: string[];
  ingress?: {
    from?: NetworkPolicyPeer[];
    ports?: { port?: number | string; endPort?: number; protocol?: string }[];
  }[];
}

type Env = Record<string, string>;

/** Every service: its config loader and the port its config defaults to. */
const SERVICES = {
  users: { load: loadUsersConfig, port: loadUsersConfig({}).USERS_PORT },
  projects: { load: loadProjectsConfig, port: loadProjectsConfig({}).PROJECTS_PORT },
  tasks: { load: loadTasksConfig, port: loadTasksConfig({}).TASKS_PORT },
  documents: { load: loadDocumentsConfig, port: loadDocumentsConfig({}).DOCUMENTS_PORT },
  time: { load: loadTimeConfig, port: loadTimeConfig({}).TIME_PORT },
  notifications: {
    load: loadNotificationsConfig,
    port: loadNotificationsConfig({}).NOTIFICATIONS_PORT,
  },
  gateway: { load: loadGatewayConfig, port: loadGatewayConfig({}).GATEWAY_PORT },
} satisfies Record<string, { load: (env: Env) => object; port: number }>;
type ServiceName = keyof typeof SERVICES;
const SERVICE_NAMES = Object.keys(SERVICES) as ServiceName[];
const SUBGRAPHS = SERVICE_NAMES.filter((name) => name !== 'gateway');

const IMAGE_TAGS: Record<string, string> = { dev: 'dev', prod: '0.1.0' };

const SECRET_NAME = 'psa-graph-secrets';
const NAMESPACE = 'psa-graph';
const INGRESS_NAMESPACE = 'ingress-nginx';

/** The keys of the Secret the README documents, as shown in k8s/base/secret.example.yaml. */
const secretExample = parseManifests(
  readFileSync(path.join(REPO_ROOT, 'k8s', 'base', 'secret.example.yaml'), 'utf8'),
);
const DOCUMENTED_SECRET_KEYS = Object.keys(
  (secretExample[0]?.stringData as Record<string, string> | undefined) ?? {},
);

/** Stand-in values for the Secret's keys, valid for the config loaders. */
const signingKey = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  .privateKey.export({ type: 'pkcs8', format: 'pem' })
  .toString();
const SECRET_VALUES: Env = {
  'jwt-private.pem': signingKey,
  ADMIN_USERNAME: 'admin',
  ADMIN_EMAIL: 'admin@example.com',
  ADMIN_PASSWORD: 'a-long-enough-test-password',
  FILES_SIGNING_SECRET: 'a stand-in file signing secret of 32+ characters',
  AWS_ACCESS_KEY_ID: 'AKIAIOSFODNN7EXAMPLE',
  AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
};

const rendered = Object.fromEntries(
  OVERLAYS.map((overlay) => [overlay, renderKustomization(overlayDir(overlay))]),
) as Record<(typeof OVERLAYS)[number], K8sObject[]>;

function find(objects: K8sObject[], kind: string, name: string): K8sObject {
  const object = objects.find((o) => o.kind === kind && o.metadata.name === name);
  if (!object) throw new Error(`${kind}/${name} is not rendered`);
  return object;
}

const specOf = <T>(object: K8sObject): T => object.spec as T;

function podTemplateOf(object: K8sObject): PodTemplate {
  const spec = specOf<{
    template?: PodTemplate;
    jobTemplate?: { spec: { template: PodTemplate } };
  }>(object);
  const template = spec.template ?? spec.jobTemplate?.spec.template;
  if (!template) throw new Error(`${object.kind}/${object.metadata.name} has no pod template`);
  return template;
}

const WORKLOAD_KINDS = ['Deployment', 'StatefulSet', 'DaemonSet', 'Job', 'CronJob'];

function mainContainer(objects: K8sObject[], service: ServiceName): Container {
  const containers = podTemplateOf(find(objects, 'Deployment', service)).spec.containers;
  expect(containers).toHaveLength(1);
  return containers[0]!;
}

/** A probe's or Service's port (name or number) as a number, through the container's ports. */
function portNumber(container: Container, port: string | number | undefined): number | undefined {
  if (typeof port === 'number') return port;
  return container.ports?.find((p) => p.name === port)?.containerPort;
}

/**
 * The environment a container starts with: its ConfigMaps' data, its literal values and, for
 * Secret references, stand-in values. `X_FILE` pointing into a mounted Secret is resolved to X,
 * as loadConfig does, so the result can go through the service's config loader.
 */
function containerEnv(objects: K8sObject[], pod: PodSpec, container: Container): Env {
  const env: Env = {};
  for (const source of container.envFrom ?? []) {
    expect(source.secretRef).toBeUndefined();
    const name = source.configMapRef?.name;
    expect(name).toBeDefined();
    Object.assign(env, find(objects, 'ConfigMap', name!).data as Env);
  }
  for (const variable of container.env ?? []) {
    if (variable.value !== undefined) {
      env[variable.name] = variable.value;
      continue;
    }
    const ref = variable.valueFrom?.secretKeyRef;
    if (!ref) throw new Error(`${container.name}: ${variable.name} has an unsupported source`);
    expect(ref.name).toBe(SECRET_NAME);
    expect(DOCUMENTED_SECRET_KEYS).toContain(ref.key);
    env[variable.name] = SECRET_VALUES[ref.key]!;
  }
  for (const [name, file] of Object.entries(env)) {
    if (!name.endsWith('_FILE')) continue;
    const mount = container.volumeMounts?.find((m) => file.startsWith(`${m.mountPath}/`));
    const volume = pod.volumes?.find((v) => v.name === mount?.name);
    expect(volume?.secret?.secretName).toBe(SECRET_NAME);
    const item = volume?.secret?.items?.find(
      (i) => `${mount!.mountPath}/${i.path}` === file || file === `${mount!.mountPath}/${i.key}`,
    );
    expect(item).toBeDefined();
    expect(DOCUMENTED_SECRET_KEYS).toContain(item!.key);
    delete env[name];
    env[name.slice(0, -'_FILE'.length)] = SECRET_VALUES[item!.key]!;
  }
  return env;
}

function matchesSelector(labels: Record<string, string>, selector: LabelSelector): boolean {
  const byLabels = Object.entries(selector.matchLabels ?? {}).every(([k, v]) => labels[k] === v);
  const byExpressions = (selector.matchExpressions ?? []).every(({ key, operator, values }) => {
    switch (operator) {
      case 'In':
        return values?.includes(labels[key] ?? '\0') ?? false;
      case 'NotIn':
        return !(values?.includes(labels[key] ?? '\0') ?? false);
      case 'Exists':
        return key in labels;
      case 'DoesNotExist':
        return !(key in labels);
      default:
        throw new Error(`unknown selector operator ${operator}`);
    }
  });
  return byLabels && byExpressions;
}

interface Peer {
  namespace: string;
  labels: Record<string, string>;
}

/** Whether the NetworkPolicies let `from` open a TCP connection to `to` on `port`. */
function ingressAllowed(policies: K8sObject[], from: Peer, to: Peer, port: number): boolean {
  const selecting = policies
    .filter((p) => p.metadata.namespace === to.namespace)
    .map((p) => specOf<NetworkPolicySpec>(p))
    .filter((spec) => (spec.policyTypes ?? ['Ingress']).includes('Ingress'))
    .filter((spec) => matchesSelector(to.labels, spec.podSelector));
  if (!selecting.length) return true;
  const namespaceLabels = { 'kubernetes.io/metadata.name': from.namespace };
  return selecting.some((spec) =>
    (spec.ingress ?? []).some((rule) => {
      const peerOk =
        !rule.from ||
        rule.from.some((peer) => {
          const namespaceOk = peer.namespaceSelector
            ? matchesSelector(namespaceLabels, peer.namespaceSelector)
            : from.namespace === to.namespace;
          const podOk = peer.podSelector ? matchesSelector(from.labels, peer.podSelector) : true;
          return namespaceOk && podOk;
        });
      const portOk =
        !rule.ports ||
        rule.ports.some(
          (p) =>
            (p.protocol ?? 'TCP') === 'TCP' &&
            (p.port === undefined ||
              (typeof p.port === 'number' && port >= p.port && port <= (p.endPort ?? p.port))),
        );
      return peerOk && portOk;
    }),
  );
}

describe('k8s manifests', () => {
  it('render and validate against the Kubernetes schemas (scripts/validate-k8s.ts)', () => {
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/validate-k8s.ts'], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
    });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    for (const overlay of OVERLAYS) {
      for (const service of SERVICE_NAMES) {
        expect(run.stdout).toContain(`ok    k8s/overlays/${overlay}: Deployment/${service}\n`);
      }
    }
    expect(run.stdout).not.toContain('FAIL');
  });

  it('the validation fails on an invalid object and on an unknown kind', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'psa-k8s-'));
    try {
      writeFileSync(path.join(dir, 'kustomization.yaml'), 'resources: [objects.yaml]\n');
      writeFileSync(
        path.join(dir, 'objects.yaml'),
        [
          'apiVersion: v1',
          'kind: Service',
          'metadata: { name: broken }',
          'spec: { ports: [{ port: http }] }',
          '---',
          'apiVersion: example.com/v1',
          'kind: Widget',
          'metadata: { name: unknown }',
        ].join('\n'),
      );
      const run = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/validate-k8s.ts', dir], {
        cwd: REPO_ROOT,
        encoding: 'utf8',
      });
      expect(run.status).toBe(1);
      expect(run.stdout).toMatch(/FAIL .*Service\/broken: .*port must be integer/);
      expect(run.stdout).toMatch(/FAIL .*Widget\/unknown: unknown kind/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  describe.each(OVERLAYS)('overlay %s', (overlay) => {
    const objects = rendered[overlay];

    it('runs every service on the port its config defaults to, behind a Service', () => {
      for (const service of SERVICE_NAMES) {
        const container = mainContainer(objects, service);
        const { port } = SERVICES[service];
        expect(container.image).toBe(`psa-graph/${service}:${IMAGE_TAGS[overlay]}`);
        expect(container.ports?.map((p) => p.containerPort)).toEqual([port]);
        const serviceSpec = specOf<{
          selector: Record<string, string>;
          ports: { port: number; targetPort: string | number }[];
        }>(find(objects, 'Service', service));
        const podLabels = podTemplateOf(find(objects, 'Deployment', service)).metadata.labels;
        expect(matchesSelector(podLabels, { matchLabels: serviceSpec.selector })).toBe(true);
        expect(serviceSpec.ports).toHaveLength(1);
        expect(serviceSpec.ports[0]!.port).toBe(port);
        expect(portNumber(container, serviceSpec.ports[0]!.targetPort)).toBe(port);
      }
    });

    it('probes /healthz (startup, liveness) and /readyz (readiness) on the service port', () => {
      for (const service of SERVICE_NAMES) {
        const container = mainContainer(objects, service);
        const { port } = SERVICES[service];
        const probes = {
          startupProbe: '/healthz',
          livenessProbe: '/healthz',
          readinessProbe: '/readyz',
        } as const;
        for (const [probe, probePath] of Object.entries(probes)) {
          const httpGet = container[probe as keyof typeof probes]?.httpGet;
          expect({ service, probe, path: httpGet?.path }).toEqual({
            service,
            probe,
            path: probePath,
          });
          expect(portNumber(container, httpGet?.port)).toBe(port);
        }
      }
    });

    it('gives every container resources and the restricted security settings', () => {
      const workloads = objects.filter((o) => WORKLOAD_KINDS.includes(o.kind));
      expect(workloads.length).toBeGreaterThanOrEqual(SERVICE_NAMES.length + 2);
      for (const workload of workloads) {
        const { spec } = podTemplateOf(workload);
        const label = `${workload.kind}/${workload.metadata.name}`;
        expect({ label, ...spec.securityContext }).toMatchObject({
          label,
          runAsNonRoot: true,
          seccompProfile: { type: 'RuntimeDefault' },
        });
        for (const container of spec.containers) {
          for (const kind of ['requests', 'limits'] as const) {
            expect(container.resources?.[kind]).toEqual({
              cpu: expect.any(String),
              memory: expect.any(String),
            });
          }
          expect({ label, ...container.securityContext }).toEqual({
            label,
            readOnlyRootFilesystem: true,
            allowPrivilegeEscalation: false,
            capabilities: { drop: ['ALL'] },
          });
          // A read-only root needs a writable /tmp.
          const tmp = container.volumeMounts?.find((m) => m.mountPath === '/tmp');
          expect(spec.volumes?.find((v) => v.name === tmp?.name)?.emptyDir).toBeDefined();
        }
      }
      for (const service of SERVICE_NAMES) {
        const { spec } = podTemplateOf(find(objects, 'Deployment', service));
        expect(spec.securityContext).toMatchObject({ runAsUser: 1000, fsGroup: 1000 });
      }
    });

    it('sets only variables the service reads, with values its config loader accepts', () => {
      for (const service of SERVICE_NAMES) {
        const { spec } = podTemplateOf(find(objects, 'Deployment', service));
        const env = containerEnv(objects, spec, spec.containers[0]!);
        // Throws ConfigError listing every bad value, e.g. production without keys or REDIS_URL.
        const config = SERVICES[service].load(env);
        const unknown = Object.keys(env).filter((name) => !(name in config));
        expect({ service, unknown }).toEqual({ service, unknown: [] });
        expect(env).toMatchObject({ NODE_ENV: 'production' });
      }
    });

    it('gives each service its own database and every client the right address', () => {
      const servicePort = (host: string): number | undefined => {
        const object = objects.find((o) => o.kind === 'Service' && o.metadata.name === host);
        return specOf<{ ports: { port: number }[] } | undefined>(object ?? ({} as K8sObject))
          ?.ports[0]?.port;
      };
      const databases = new Set<string>();
      for (const service of SERVICE_NAMES) {
        const { spec } = podTemplateOf(find(objects, 'Deployment', service));
        const env = containerEnv(objects, spec, spec.containers[0]!);
        const config = SERVICES[service].load(env) as Record<string, unknown>;
        const urls = Object.entries(config).filter(
          (entry): entry is [string, string] =>
            entry[0].endsWith('_URL') && typeof entry[1] === 'string',
        );
        expect(urls.length).toBeGreaterThanOrEqual(2);
        for (const [name, value] of urls) {
          const url = new URL(value);
          expect({ name, port: servicePort(url.hostname) }).toEqual({
            name,
            port: Number(url.port),
          });
        }
        if (service !== 'gateway') databases.add(String(config[`${service.toUpperCase()}_DB`]));
        else {
          for (const subgraph of SUBGRAPHS) {
            expect(config[`${subgraph.toUpperCase()}_URL`]).toBe(
              `http://${subgraph}:${SERVICES[subgraph].port}/graphql`,
            );
          }
        }
      }
      expect(databases.size).toBe(SUBGRAPHS.length);
    });

    it('stops within the grace period: terminationGracePeriodSeconds > SHUTDOWN_GRACE_MS', () => {
      for (const service of SERVICE_NAMES) {
        const { spec } = podTemplateOf(find(objects, 'Deployment', service));
        const env = containerEnv(objects, spec, spec.containers[0]!);
        const { SHUTDOWN_GRACE_MS } = SERVICES[service].load(env) as { SHUTDOWN_GRACE_MS: number };
        // The preStop pause runs before SIGTERM and counts against the same period.
        const preStopMs = 5_000;
        expect((spec.terminationGracePeriodSeconds ?? 30) * 1000).toBeGreaterThan(
          SHUTDOWN_GRACE_MS + preStopMs,
        );
      }
    });

    it('spreads the replicas of every service over zones and nodes', () => {
      for (const service of SERVICE_NAMES) {
        const { metadata, spec } = podTemplateOf(find(objects, 'Deployment', service));
        const constraints = spec.topologySpreadConstraints ?? [];
        expect(constraints.length).toBeGreaterThanOrEqual(1);
        for (const constraint of constraints) {
          expect(matchesSelector(metadata.labels, constraint.labelSelector ?? {})).toBe(true);
        }
      }
    });

    it('autoscales every service and keeps one pod up through disruptions', () => {
      const minimum = overlay === 'prod' ? 2 : 1;
      for (const service of SERVICE_NAMES) {
        const deployment = find(objects, 'Deployment', service);
        const replicas = specOf<{ replicas?: number }>(deployment).replicas;
        // Left to the HorizontalPodAutoscaler, or at least its minimum.
        if (replicas !== undefined) expect(replicas).toBeGreaterThanOrEqual(minimum);
        const hpa = find(objects, 'HorizontalPodAutoscaler', service);
        expect(hpa.apiVersion).toBe('autoscaling/v2');
        const hpaSpec = specOf<{
          minReplicas: number;
          maxReplicas: number;
          scaleTargetRef: { kind: string; name: string };
        }>(hpa);
        expect(hpaSpec.scaleTargetRef).toMatchObject({ kind: 'Deployment', name: service });
        if (overlay === 'prod') expect(hpaSpec.minReplicas).toBeGreaterThanOrEqual(2);
        else expect(hpaSpec).toMatchObject({ minReplicas: 1, maxReplicas: 1 });

        const pdb = specOf<{ minAvailable?: number; selector: LabelSelector }>(
          find(objects, 'PodDisruptionBudget', service),
        );
        const podLabels = podTemplateOf(deployment).metadata.labels;
        expect(matchesSelector(podLabels, pdb.selector)).toBe(true);
        if (overlay === 'prod') expect(pdb.minAvailable).toBe(1);
      }
    });

    it('lets only the gateway reach the subgraphs, and only the services reach the stores', () => {
      const policies = objects.filter((o) => o.kind === 'NetworkPolicy');
      const pod = (kind: string, name: string): Peer => ({
        namespace: NAMESPACE,
        labels: podTemplateOf(find(objects, kind, name)).metadata.labels,
      });
      const gateway = pod('Deployment', 'gateway');
      const subgraphs = SUBGRAPHS.map((name) => [name, pod('Deployment', name)] as const);
      const mongodb = pod('StatefulSet', 'mongodb');
      const redis = pod('StatefulSet', 'redis');
      const ingressController: Peer = {
        namespace: INGRESS_NAMESPACE,
        labels: { 'app.kubernetes.io/name': 'ingress-nginx' },
      };
      const otherNamespace: Peer = { namespace: 'default', labels: gateway.labels };
      const strangerHere: Peer = { namespace: NAMESPACE, labels: { app: 'debug' } };

      const defaultDeny = policies.find((p) => {
        const spec = specOf<NetworkPolicySpec>(p);
        return (
          Object.keys(spec.podSelector).length === 0 &&
          (spec.policyTypes ?? []).includes('Ingress') &&
          !spec.ingress?.length
        );
      });
      expect(defaultDeny).toBeDefined();

      const allowed = (from: Peer, to: Peer, port: number) =>
        ingressAllowed(policies, from, to, port);
      expect(allowed(ingressController, gateway, SERVICES.gateway.port)).toBe(true);
      expect(allowed(otherNamespace, gateway, SERVICES.gateway.port)).toBe(false);
      for (const [name, subgraph] of subgraphs) {
        const { port } = SERVICES[name];
        expect({ name, gateway: allowed(gateway, subgraph, port) }).toEqual({
          name,
          gateway: true,
        });
        for (const [otherName, other] of subgraphs) {
          // Subgraphs only call the users service (JWKS).
          const expected = name === 'users';
          expect({ from: otherName, to: name, allowed: allowed(other, subgraph, port) }).toEqual({
            from: otherName,
            to: name,
            allowed: expected,
          });
        }
        for (const peer of [ingressController, otherNamespace, strangerHere, mongodb, redis]) {
          expect(allowed(peer, subgraph, port)).toBe(false);
        }
        expect(allowed(subgraph, mongodb, 27017)).toBe(true);
        expect(allowed(subgraph, redis, 6379)).toBe(true);
      }
      expect(allowed(gateway, redis, 6379)).toBe(true);
      expect(allowed(gateway, mongodb, 27017)).toBe(false);
      for (const peer of [ingressController, otherNamespace, strangerHere]) {
        expect(allowed(peer, mongodb, 27017)).toBe(false);
        expect(allowed(peer, redis, 6379)).toBe(false);
      }
      expect(allowed(pod('Job', 'mongodb-rs-init'), mongodb, 27017)).toBe(true);
    });

    it('exposes the gateway through an Ingress that keeps WebSockets open', () => {
      const ingress = find(objects, 'Ingress', 'gateway');
      const annotations = (ingress.metadata.annotations ?? {}) as Record<string, string>;
      expect(annotations).toMatchObject({
        'nginx.ingress.kubernetes.io/proxy-read-timeout': '3600',
        'nginx.ingress.kubernetes.io/proxy-send-timeout': '3600',
        'nginx.org/websocket-services': 'gateway',
      });
      const spec = specOf<{
        rules: {
          host?: string;
          http: {
            paths: {
              path: string;
              pathType: string;
              backend: { service: { name: string; port: { name: string } } };
            }[];
          };
        }[];
        tls?: { hosts: string[]; secretName: string }[];
      }>(ingress);
      expect(spec.rules).toHaveLength(1);
      // Only the API (GraphQL and REST) and the console (/ and its /assets) are public: not
      // /healthz, /readyz or /metrics.
      expect(spec.rules[0]!.http.paths.map((p) => [p.path, p.pathType])).toEqual([
        ['/graphql', 'Exact'],
        ['/', 'Exact'],
        ['/assets', 'Prefix'],
        ['/api', 'Prefix'],
      ]);
      const backend = spec.rules[0]!.http.paths[0]!.backend.service;
      expect(backend.name).toBe('gateway');
      const gatewayService = specOf<{ ports: { name: string; port: number }[] }>(
        find(objects, 'Service', 'gateway'),
      );
      expect(gatewayService.ports.find((p) => p.name === backend.port.name)?.port).toBe(
        SERVICES.gateway.port,
      );
      if (overlay === 'prod') {
        expect(spec.rules[0]!.host).toBe('psa.example.com');
        expect(spec.tls).toEqual([{ hosts: ['psa.example.com'], secretName: 'psa-graph-tls' }]);
      }
    });

    it('routes file transfers (/files) through an Ingress that takes uploads up to MAX_UPLOAD_BYTES and streams them', () => {
      const ingress = find(objects, 'Ingress', 'gateway-files');
      const annotations = (ingress.metadata.annotations ?? {}) as Record<string, string>;
      const maxUpload = loadDocumentsConfig({}).MAX_UPLOAD_BYTES;
      expect(annotations).toMatchObject({
        'nginx.ingress.kubernetes.io/proxy-body-size': `${maxUpload / 1024 / 1024}m`,
        'nginx.ingress.kubernetes.io/proxy-request-buffering': 'off',
        'nginx.ingress.kubernetes.io/proxy-buffering': 'off',
      });
      const spec = specOf<{
        rules: {
          host?: string;
          http: { paths: { path: string; pathType: string; backend: unknown }[] };
        }[];
        tls?: unknown[];
      }>(ingress);
      expect(spec.rules[0]!.http.paths).toEqual([
        {
          path: '/files',
          pathType: 'Prefix',
          backend: { service: { name: 'gateway', port: { name: 'http' } } },
        },
      ]);
      if (overlay === 'prod') {
        expect(spec.rules[0]!.host).toBe('psa.example.com');
        expect(spec.tls).toEqual([{ hosts: ['psa.example.com'], secretName: 'psa-graph-tls' }]);
      }
    });

    it('runs MongoDB as a persistent replica set of one and Redis with a Service', () => {
      const mongodb = specOf<{
        serviceName: string;
        replicas: number;
        volumeClaimTemplates?: unknown[];
      }>(find(objects, 'StatefulSet', 'mongodb'));
      expect(mongodb.replicas).toBe(1);
      expect(mongodb.volumeClaimTemplates).toHaveLength(1);
      const mongoContainer = podTemplateOf(find(objects, 'StatefulSet', 'mongodb')).spec
        .containers[0]!;
      expect(mongoContainer.image).toBe('mongo:7');
      expect((mongoContainer as { args?: string[] }).args?.join(' ')).toContain('--replSet rs0');
      expect(find(objects, 'Service', mongodb.serviceName).spec).toMatchObject({
        clusterIP: 'None',
      });
      const redisContainer = podTemplateOf(find(objects, 'StatefulSet', 'redis')).spec
        .containers[0]!;
      expect(redisContainer.image).toBe('redis:7');
      find(objects, 'Service', 'redis');
    });

    it('holds no Secret: psa-graph-secrets is created by hand, as documented', () => {
      expect(objects.filter((o) => o.kind === 'Secret')).toEqual([]);
      expect(DOCUMENTED_SECRET_KEYS.sort()).toEqual(Object.keys(SECRET_VALUES).sort());
      expect(find(objects, 'Namespace', NAMESPACE)).toBeDefined();
      expect(
        objects.every((o) => o.kind === 'Namespace' || o.metadata.namespace === NAMESPACE),
      ).toBe(true);
    });
  });

  it('keeps the Secret example out of the kustomization and documents its creation', () => {
    const base = parseDocument(
      readFileSync(path.join(REPO_ROOT, 'k8s', 'base', 'kustomization.yaml'), 'utf8'),
    ).toJS() as { resources: string[]; secretGenerator?: unknown };
    expect(base.resources).not.toContain('secret.example.yaml');
    expect(base.secretGenerator).toBeUndefined();
    const readme = readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8');
    const start = readme.indexOf('## Deploying to Kubernetes\n');
    expect(start).toBeGreaterThan(0);
    const end = readme.indexOf('\n## ', start + 1);
    const section = readme.slice(start, end === -1 ? undefined : end);
    expect(section).toContain(`kubectl -n ${NAMESPACE} create secret generic ${SECRET_NAME}`);
    for (const key of DOCUMENTED_SECRET_KEYS) expect(section).toContain(key);
  });
});
