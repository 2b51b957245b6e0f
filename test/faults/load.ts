/**
 * The load run of `npm run test:faults`: a mixed workload against the real topology (two
 * gateways, six subgraphs, the engine, Redis) for 60 s, or 10 min in soak mode, with 200
 * graphql-ws subscribers, then checks that nothing was lost: every acknowledged create is
 * readable and the counts match, every update's last acknowledged value is stored, every
 * subscriber received every status update of its project exactly once and in order, and no
 * operation failed. Prints throughput, p50/p99 latency and the RSS of every process over time.
 */
import { writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { graphqlRequest, processUsage, randomId } from '@psa/shared/testing';
import {
  CREATE_TASK,
  POST_STATUS_UPDATE,
  createProject,
  loginAdmin,
  ok,
  projectItemIds,
  signUp,
  sleep,
  type Actor,
} from './actors';
import { GATEWAYS, SUBGRAPHS, startTopology, type ProcessName, type Topology } from './launcher';
import { rotatingSubscriber, type RotatingSubscriber } from './rotating-subscriber';

export interface LoadOptions {
  durationMs: number;
  /** How often a line of figures is printed and RSS sampled, ms. */
  sampleEveryMs: number;
  /** Projects, each with one writing client (its manager) and its share of the subscribers. */
  projects: number;
  /** Subscribers, spread evenly over the projects and the two gateways. */
  subscribers: number;
  /** Clients that only read, beside the writing ones. */
  readers: number;
  /** Where a JSON summary is written, if anywhere. */
  reportPath?: string;
  write(line: string): void;
}

type OperationKind = 'read' | 'createTask' | 'updateTask' | 'postStatusUpdate' | 'logTime';
const KINDS: readonly OperationKind[] = [
  'read',
  'createTask',
  'updateTask',
  'postStatusUpdate',
  'logTime',
];
const PROCESSES: readonly ProcessName[] = ['mongo', 'redis', ...SUBGRAPHS, ...GATEWAYS];

const READ = `query ($p: ID!) { project(id: $p) { name manager { username }
  tasks(first: 10) { totalCount edges { node { id title status } } }
  taskSummary { total } statusUpdates(first: 5) { totalCount } } }`;
const UPDATE_TASK = 'mutation ($input: UpdateTaskInput!) { updateTask(input: $input) { id } }';
const LOG_TIME = 'mutation ($input: LogTimeInput!) { logTime(input: $input) { id } }';
const STATUS_SUBSCRIPTION =
  'subscription ($p: ID!) { statusUpdated(projectId: $p) { id message author { id } } }';

/** Resident set size of a process in KiB, or null when it is not running. */
const rssOf = (pid: number | null): number | null =>
  pid === null ? null : (processUsage(pid)?.rssKiB ?? null);

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  const index = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return sorted[Math.max(0, index)] ?? 0;
}

const fmt = (ms: number): string => ms.toFixed(1);
const mib = (kib: number | null): string => (kib === null ? '-' : (kib / 1024).toFixed(0));

interface ProjectState {
  id: string;
  manager: Actor;
  gateway: string;
  /** Ids of the tasks acknowledged as created. */
  tasks: string[];
  /** The last title acknowledged for each updated task. */
  titles: Map<string, string>;
  /** Status update ids acknowledged, in the order the one writer posted them. */
  statusUpdates: string[];
  /** Time entry ids acknowledged (a minute each, logged by the manager today). */
  timeEntries: string[];
}

interface Sample {
  atS: number;
  ops: number;
  p50: number;
  p99: number;
  rss: Record<string, number | null>;
}

/** What the run measured and found; `problems` is empty when every check passed. */
export interface LoadReport {
  durationS: number;
  operations: Record<OperationKind, { count: number; p50: number; p99: number }>;
  total: { count: number; perSecond: number; p50: number; p99: number };
  errors: number;
  subscribers: number;
  eventsDelivered: number;
  samples: Sample[];
  rssStartKiB: Record<string, number | null>;
  rssEndKiB: Record<string, number | null>;
  problems: string[];
}

/** Runs the load; resolves with the report (rejects only when the topology cannot start). */
export async function runLoad(options: LoadOptions): Promise<LoadReport> {
  const { write } = options;
  const topology: Topology = await startTopology({
    // Tokens outlive a soak run.
    env: { ACCESS_TOKEN_TTL_SECONDS: '7200', LOG_LEVEL: 'warn' },
    gatewayEnv: { PASSWORD_FAILURES_PER_ACCOUNT: '100000/min' },
  });
  const subscribers: RotatingSubscriber<{ statusUpdated: { id: string } }>[] = [];
  try {
    return await drive(topology, options, subscribers, write);
  } finally {
    await Promise.all(subscribers.map((s) => s.dispose()));
    await topology.stop();
  }
}

async function drive(
  topology: Topology,
  options: LoadOptions,
  subscribers: RotatingSubscriber<{ statusUpdated: { id: string } }>[],
  write: (line: string) => void,
): Promise<LoadReport> {
  const urls = topology.gatewayUrls;
  const admin = await loginAdmin(urls[0]);
  const projects: ProjectState[] = [];
  const subscriberProject: ProjectState[] = [];
  const perProject = Math.ceil(options.subscribers / options.projects);
  for (let i = 0; i < options.projects; i++) {
    const gateway = urls[i % 2] ?? urls[0];
    const manager = await signUp(gateway, admin, 'MANAGER', `manager${i}`);
    // Two members per project subscribe, each from several sockets.
    const members = [
      await signUp(gateway, admin, 'MEMBER', `member${i}a`),
      await signUp(gateway, admin, 'MEMBER', `member${i}b`),
    ];
    const id = await createProject(gateway, manager, members);
    const project: ProjectState = {
      id,
      manager,
      gateway,
      tasks: [],
      titles: new Map(),
      statusUpdates: [],
      timeEntries: [],
    };
    projects.push(project);
    for (let s = 0; s < perProject && subscribers.length < options.subscribers; s++) {
      const member = members[s % 2] as Actor;
      const url = urls[subscribers.length % 2] ?? urls[0];
      subscribers.push(rotatingSubscriber([url], member.token, STATUS_SUBSCRIPTION, { p: id }));
      subscriberProject.push(project);
    }
  }
  await waitForSubscriptions(urls, subscribers.length);
  write(
    `load: ${options.projects} projects, ${subscribers.length} subscribers, ` +
      `${options.projects} writing + ${options.readers} reading clients, ${options.durationMs / 1000} s\n`,
  );

  const latencies = new Map<OperationKind, number[]>(KINDS.map((k) => [k, []]));
  let windowLatencies: number[] = [];
  const errors: string[] = [];
  const timed = async <T>(
    kind: OperationKind,
    url: string,
    query: string,
    variables: Record<string, unknown>,
    headers: Record<string, string>,
  ): Promise<T | null> => {
    const started = performance.now();
    try {
      const { status, body } = await graphqlRequest<T>(url, query, variables, headers);
      const ms = performance.now() - started;
      if (status !== 200 || body.errors || !body.data) {
        errors.push(`${kind} ${status} ${JSON.stringify(body.errors)}`);
        return null;
      }
      latencies.get(kind)?.push(ms);
      windowLatencies.push(ms);
      return body.data;
    } catch (error) {
      errors.push(`${kind} ${String(error)}`);
      return null;
    }
  };

  const startedAt = Date.now();
  const deadline = startedAt + options.durationMs;
  // Each project's manager is its only writer, so its status updates have one order to check.
  const writers = projects.map(async (project) => {
    const headers = project.manager.headers;
    for (let i = 0; Date.now() < deadline; i++) {
      const roll = i % 20;
      if (roll < 8) {
        await timed('read', project.gateway, READ, { p: project.id }, headers);
      } else if (roll < 13) {
        const data = await timed<{ createTask: { id: string } }>(
          'createTask',
          project.gateway,
          CREATE_TASK,
          { input: { projectId: project.id, title: `Task ${randomId().slice(0, 8)}` } },
          headers,
        );
        if (data) project.tasks.push(data.createTask.id);
      } else if (roll < 16 && project.tasks.length > 0) {
        const taskId = project.tasks[(i * 7919) % project.tasks.length] as string;
        const title = `Renamed ${i}`;
        const data = await timed(
          'updateTask',
          project.gateway,
          UPDATE_TASK,
          {
            input: { id: taskId, title },
          },
          headers,
        );
        if (data) project.titles.set(taskId, title);
      } else if (roll === 19) {
        // A minute each: a 10-minute soak stays far below a day's 24 hours.
        const date = new Date().toISOString().slice(0, 10);
        const data = await timed<{ logTime: { id: string } }>(
          'logTime',
          project.gateway,
          LOG_TIME,
          { input: { projectId: project.id, date, minutes: 1, note: `Load ${i}` } },
          headers,
        );
        if (data) project.timeEntries.push(data.logTime.id);
      } else {
        const data = await timed<{ postStatusUpdate: { id: string } }>(
          'postStatusUpdate',
          project.gateway,
          POST_STATUS_UPDATE,
          { input: { projectId: project.id, message: `Update ${i}` } },
          headers,
        );
        if (data) project.statusUpdates.push(data.postStatusUpdate.id);
      }
    }
  });
  const readers = Array.from({ length: options.readers }, async (_, r) => {
    for (let i = r; Date.now() < deadline; i++) {
      const project = projects[i % projects.length] as ProjectState;
      const url = urls[i % 2] ?? urls[0];
      await timed('read', url, READ, { p: project.id }, project.manager.headers);
    }
  });

  const rssNow = (): Record<string, number | null> => ({
    ...Object.fromEntries(PROCESSES.map((name) => [name, rssOf(topology.pid(name))])),
    load: Math.round(process.memoryUsage().rss / 1024),
  });
  const rssStartKiB = rssNow();
  const samples: Sample[] = [];
  write(
    `${'t(s)'.padStart(5)} ${'ops/s'.padStart(7)} ${'p50ms'.padStart(7)} ${'p99ms'.padStart(7)}  RSS MiB: ${[...PROCESSES, 'load'].join(' ')}\n`,
  );
  let lastSampleAt = Date.now();
  const sampler = (async () => {
    while (Date.now() < deadline) {
      await sleep(Math.min(options.sampleEveryMs, Math.max(0, deadline - Date.now())));
      const now = Date.now();
      const window = windowLatencies.sort((a, b) => a - b);
      windowLatencies = [];
      const sample: Sample = {
        atS: Math.round((now - startedAt) / 1000),
        ops: Math.round((window.length * 1000) / Math.max(1, now - lastSampleAt)),
        p50: percentile(window, 50),
        p99: percentile(window, 99),
        rss: rssNow(),
      };
      lastSampleAt = now;
      samples.push(sample);
      write(
        `${String(sample.atS).padStart(5)} ${String(sample.ops).padStart(7)} ${fmt(sample.p50).padStart(7)} ${fmt(sample.p99).padStart(7)}  ${Object.values(
          sample.rss,
        )
          .map(mib)
          .join(' ')}\n`,
      );
    }
  })();
  await Promise.all([...writers, ...readers, sampler]);
  const durationS = (Date.now() - startedAt) / 1000;

  const problems: string[] = [];
  if (errors.length > 0) {
    problems.push(`${errors.length} operations failed, e.g. ${errors.slice(0, 3).join(' | ')}`);
  }
  // Every subscriber gets every status update of its project, once, in the order it was posted.
  let eventsDelivered = 0;
  await Promise.all(
    subscribers.map(async (subscriber, index) => {
      const project = subscriberProject[index] as ProjectState;
      const expected = project.statusUpdates;
      await subscriber.received(expected.length, 60_000).catch(() => undefined);
      await sleep(0);
      const got = subscriber.results.map((r) => r.data?.statusUpdated.id ?? JSON.stringify(r));
      eventsDelivered += got.length;
      if (JSON.stringify(got) !== JSON.stringify(expected)) {
        const missing = expected.filter((id) => !got.includes(id)).length;
        const duplicated = got.length - new Set(got).size;
        problems.push(
          `subscriber ${index}: ${got.length} of ${expected.length} events, ${missing} missing, ${duplicated} duplicated${missing === 0 && duplicated === 0 ? ', out of order' : ''}`,
        );
      }
      if (subscriber.connectedTo.length !== 1) {
        problems.push(`subscriber ${index} reconnected ${subscriber.connectedTo.length - 1} times`);
      }
    }),
  );
  // A little later nothing more arrives (no late duplicates).
  await sleep(1_000);
  const late = subscribers.filter(
    (s, i) => s.results.length !== (subscriberProject[i] as ProjectState).statusUpdates.length,
  ).length;
  if (late > 0) problems.push(`${late} subscribers' counts changed after the run`);

  // Zero lost writes: every acknowledged create is stored, the counts match, updates stuck.
  for (const project of projects) {
    const tasks = await projectItemIds(urls[0], project.manager, project.id, 'tasks');
    const missing = project.tasks.filter((id) => !tasks.ids.includes(id));
    if (missing.length > 0 || tasks.totalCount !== project.tasks.length) {
      problems.push(
        `project ${project.id}: ${project.tasks.length} tasks acknowledged, ${tasks.totalCount} stored, ${missing.length} missing`,
      );
    }
    const updates = await projectItemIds(urls[1], project.manager, project.id, 'statusUpdates');
    const lost = project.statusUpdates.filter((id) => !updates.ids.includes(id));
    if (lost.length > 0 || updates.totalCount !== project.statusUpdates.length) {
      problems.push(
        `project ${project.id}: ${project.statusUpdates.length} status updates acknowledged, ${updates.totalCount} stored`,
      );
    }
    const entries = await projectItemIds(urls[1], project.manager, project.id, 'timeEntries');
    const unrecorded = project.timeEntries.filter((id) => !entries.ids.includes(id));
    if (unrecorded.length > 0 || entries.totalCount !== project.timeEntries.length) {
      problems.push(
        `project ${project.id}: ${project.timeEntries.length} time entries acknowledged, ${entries.totalCount} stored, ${unrecorded.length} missing`,
      );
    }
    const titles = await storedTitles(urls[0], project.manager, [...project.titles.keys()]);
    for (const [taskId, title] of project.titles) {
      if (titles.get(taskId) !== title) {
        problems.push(
          `task ${taskId}: last title acknowledged '${title}', stored '${titles.get(taskId)}'`,
        );
      }
    }
  }

  const all = KINDS.flatMap((k) => latencies.get(k) ?? []).sort((a, b) => a - b);
  const operations = Object.fromEntries(
    KINDS.map((kind) => {
      const sorted = (latencies.get(kind) ?? []).sort((a, b) => a - b);
      return [
        kind,
        { count: sorted.length, p50: percentile(sorted, 50), p99: percentile(sorted, 99) },
      ];
    }),
  ) as LoadReport['operations'];
  const report: LoadReport = {
    durationS,
    operations,
    total: {
      count: all.length,
      perSecond: all.length / durationS,
      p50: percentile(all, 50),
      p99: percentile(all, 99),
    },
    errors: errors.length,
    subscribers: subscribers.length,
    eventsDelivered,
    samples,
    rssStartKiB,
    rssEndKiB: rssNow(),
    problems,
  };
  write('\n');
  for (const kind of KINDS) {
    const o = operations[kind];
    write(
      `${kind.padEnd(17)} ${String(o.count).padStart(7)} ops  p50 ${fmt(o.p50)} ms  p99 ${fmt(o.p99)} ms\n`,
    );
  }
  write(
    `${'total'.padEnd(17)} ${String(all.length).padStart(7)} ops  ${report.total.perSecond.toFixed(1)}/s  p50 ${fmt(report.total.p50)} ms  p99 ${fmt(report.total.p99)} ms  errors ${errors.length}\n`,
  );
  write(`events delivered to subscribers: ${eventsDelivered}\n`);
  write(
    `RSS MiB start → end: ${Object.keys(report.rssEndKiB)
      .map(
        (name) =>
          `${name} ${mib(rssStartKiB[name] ?? null)}→${mib(report.rssEndKiB[name] ?? null)}`,
      )
      .join(', ')}\n`,
  );
  if (options.reportPath) writeFileSync(options.reportPath, `${JSON.stringify(report, null, 2)}\n`);
  return report;
}

/** Resolves once the gateways serve `count` subscriptions between them. */
async function waitForSubscriptions(urls: readonly string[], count: number): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    let served = 0;
    for (const url of urls) {
      const text = await (await fetch(url.replace(/\/graphql$/, '/metrics'))).text();
      served += Number(/^psa_gateway_subscriptions(?:\{[^}]*\})? (\d+)$/m.exec(text)?.[1] ?? 0);
    }
    if (served === count) return;
    if (Date.now() > deadline)
      throw new Error(`gateways serve ${served} subscriptions, not ${count}`);
    await sleep(100);
  }
}

/** The stored title of each task, read back 100 at a time. */
async function storedTitles(
  url: string,
  reader: Actor,
  ids: string[],
): Promise<Map<string, string>> {
  const titles = new Map<string, string>();
  for (let i = 0; i < ids.length; i += 50) {
    const batch = ids.slice(i, i + 50);
    const query = `query { ${batch.map((id, n) => `t${n}: task(id: "${id}") { id title }`).join(' ')} }`;
    const data = await ok<Record<string, { id: string; title: string } | null>>(
      url,
      query,
      {},
      reader.headers,
    );
    for (const task of Object.values(data)) if (task) titles.set(task.id, task.title);
  }
  return titles;
}
