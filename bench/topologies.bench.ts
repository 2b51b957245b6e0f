/**
 * The federated read as users run it (issue 22): `npm start` in a process of its own and the
 * deployed topology (engine, each subgraph and the gateway in its own process), side by side in
 * one run, loaded from another process (the forked autocannon client). Per topology: the project
 * read on a project of 25 tasks and one of 1,000, the project page with the time subgraph (its
 * budget and this week's entries), and a one-field read direct to the projects subgraph and
 * through the gateway (gateway/direct). The notes give each process's CPU per request (CPU time
 * over the requests answered), which is steadier than throughput on a shared machine.
 */
import { processUsage } from '@psa/shared/testing';
import { FEDERATED } from './federated.bench';
import { checkedRequest, graphqlBody } from './lib/bench-graph';
import { LoadClient, profileOf, resultOf, type PointFigures, type Profile } from './lib/load';
import type { ScenarioResult } from './lib/measure';
import {
  signUpRemote,
  startDeployed,
  startNpmStart,
  type RemotePerson,
  type Topology,
} from './lib/topologies';

const PROJECT_ONE_FIELD = 'query ($id: ID!) { project(id: $id) { name status } }';
export const PROJECT_PAGE_WITH_TIME = `query ($id: ID!, $from: Date!, $to: Date!) { project(id: $id) {
  name manager { username } budget { minutes spentMinutes percentUsed }
  timeEntries(first: 50, filter: { from: $from, to: $to }) { edges { node { date minutes user { username } } } } } }`;
const CONNECTIONS = [1, 10, 50];

interface Seeded {
  manager: RemotePerson;
  small: string;
  large: string;
  week: { from: string; to: string };
}

const isoDay = (date: Date): string => date.toISOString().slice(0, 10);

/** This ISO week (Monday to Sunday, UTC). */
function thisWeek(): { from: string; to: string; days: string[] } {
  const now = new Date();
  const monday = new Date(
    Date.UTC(
      now.getUTCFullYear(),
      now.getUTCMonth(),
      now.getUTCDate() - ((now.getUTCDay() + 6) % 7),
    ),
  );
  const days = Array.from({ length: 7 }, (_, i) => isoDay(new Date(monday.getTime() + i * 864e5)));
  return { from: days[0] ?? '', to: days[6] ?? '', days };
}

/** Runs `tasks` in `parallel` lanes. */
async function inLanes(count: number, parallel: number, task: (i: number) => Promise<void>) {
  let next = 0;
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (next < count) await task(next++);
    }),
  );
}

/** A manager, a member, a project of 25 tasks and one of `large`, a budget and this week's time. */
async function seed(topology: Topology, large: number): Promise<Seeded> {
  const manager = await signUpRemote(topology, topology.admin, 'MANAGER');
  const member = await signUpRemote(topology, topology.admin, 'MEMBER');
  const project = async (name: string, tasks: number): Promise<string> => {
    const { createProject } = await topology.query<{ createProject: { id: string } }>(
      'mutation ($input: CreateProjectInput!) { createProject(input: $input) { id } }',
      { input: { name, status: 'ACTIVE' } },
      manager.headers,
    );
    await topology.query(
      'mutation ($input: AddProjectMemberInput!) { addProjectMember(input: $input) { id } }',
      { input: { projectId: createProject.id, userId: member.id } },
      manager.headers,
    );
    const assignees = [manager.id, member.id];
    await inLanes(tasks, 4, async (i) => {
      await topology.query(
        'mutation ($input: CreateTaskInput!) { createTask(input: $input) { id } }',
        {
          input: { projectId: createProject.id, title: `Task ${i}`, assigneeId: assignees[i % 2] },
        },
        manager.headers,
      );
    });
    return createProject.id;
  };
  const small = await project('Page of 25', 25);
  const largeId = await project(`Page of ${large}`, large);
  const week = thisWeek();
  await topology.query(
    'mutation ($input: SetProjectBudgetInput!) { setProjectBudget(input: $input) { minutes } }',
    { input: { projectId: small, minutes: 6000 } },
    manager.headers,
  );
  const today = isoDay(new Date());
  for (const [i, date] of week.days.filter((day) => day <= today).entries()) {
    for (const person of [manager, member]) {
      await topology.query(
        'mutation ($input: LogTimeInput!) { logTime(input: $input) { id } }',
        { input: { projectId: small, date, minutes: 60 + i * 15, billable: true } },
        person.headers,
      );
    }
  }
  return { manager, small, large: largeId, week };
}

/** A point with every child's CPU per request and share of a core over it. */
async function measured(
  client: LoadClient,
  topology: Topology,
  name: string,
  url: string,
  person: RemotePerson,
  body: string,
  connections: number,
  profile: Profile,
  extra?: (point: PointFigures) => string,
): Promise<{ point: PointFigures; result: ScenarioResult }> {
  const request = await checkedRequest(url, person, [body]);
  const before = Object.entries(topology.pids).map(
    ([child, pid]) => [child, processUsage(pid)] as const,
  );
  const started = performance.now();
  const point = await client.point(
    `${topology.name}: ${name}, ${connections} conn`,
    request,
    connections,
    profile,
  );
  const wallMs = performance.now() - started;
  const requests = point.runs.reduce((sum, run) => sum + run.requests, 0);
  const cpu = before.map(([child, usage]) => {
    const cpuMs = (processUsage(topology.pids[child] ?? 0)?.cpuMs ?? 0) - (usage?.cpuMs ?? 0);
    return { child, perRequestMs: cpuMs / requests, percent: (cpuMs / wallMs) * 100 };
  });
  const total = cpu.reduce((sum, c) => sum + c.perRequestMs, 0);
  const cpuNote =
    `CPU per request ${total.toFixed(2)} ms (` +
    cpu
      .filter((c) => c.perRequestMs >= 0.005)
      .map((c) => `${c.child} ${c.perRequestMs.toFixed(2)} ms, ${c.percent.toFixed(0)}%`)
      .join('; ') +
    ')';
  const result = resultOf(point, [cpuNote, extra?.(point)].filter(Boolean).join('; '));
  // This process only runs the client's parent: its CPU is not the server's.
  result.notes = result.notes?.replace(/; server CPU [^;]*; peak RSS [^;]*/, '');
  return { point, result };
}

async function runTopology(
  topology: Topology,
  client: LoadClient,
  profile: Profile,
  large: number,
): Promise<ScenarioResult[]> {
  const seeded = await seed(topology, large);
  const results: ScenarioResult[] = [];
  const read = (id: string) => graphqlBody(FEDERATED, { id, first: 20 });
  const page = graphqlBody(PROJECT_PAGE_WITH_TIME, { id: seeded.small, ...seeded.week });
  const oneField = graphqlBody(PROJECT_ONE_FIELD, { id: seeded.small });
  // Warm every path (JIT, connection pools, plan, document and entity caches): a server that has
  // run a while, as users meet it. With 1 s each, the first row still paid for the JIT.
  for (const body of [read(seeded.small), read(seeded.large), page, oneField]) {
    await client.run(await checkedRequest(topology.gatewayUrl, seeded.manager, [body]), 10, 3);
  }
  for (const connections of CONNECTIONS) {
    for (const [name, body] of [
      ['project read, 25 tasks', read(seeded.small)],
      [`project read, ${large.toLocaleString('en-US')} tasks`, read(seeded.large)],
      ['project page with budget and this week', page],
    ] as const) {
      const { result } = await measured(
        client,
        topology,
        name,
        topology.gatewayUrl,
        seeded.manager,
        body,
        connections,
        profile,
      );
      results.push(result);
    }
    if (connections === 1) continue;
    const direct = await measured(
      client,
      topology,
      'one-field read direct to projects',
      topology.subgraphUrls.projects ?? '',
      seeded.manager,
      oneField,
      connections,
      profile,
    );
    results.push(direct.result);
    const through = await measured(
      client,
      topology,
      'one-field read through gateway',
      topology.gatewayUrl,
      seeded.manager,
      oneField,
      connections,
      profile,
      (point) =>
        direct.point.requestsPerSecond > 0
          ? `**gateway/direct ${(point.requestsPerSecond / direct.point.requestsPerSecond).toFixed(2)}**`
          : 'gateway/direct: none (the direct rows answered nothing in their runs)',
    );
    results.push(through.result);
  }
  return results;
}

export async function runTopologiesBench(full: boolean): Promise<ScenarioResult[]> {
  const profile = profileOf(full);
  const large = Number(process.env.BENCH_LARGE_PROJECT ?? 1000);
  const client = new LoadClient();
  const results: ScenarioResult[] = [];
  try {
    for (const startTopology of [startNpmStart, startDeployed]) {
      const topology = await startTopology();
      try {
        results.push(...(await runTopology(topology, client, profile, large)));
      } finally {
        await topology.stop();
      }
    }
  } finally {
    await client.stop();
  }
  return results;
}
