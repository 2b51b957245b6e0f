/**
 * Reminder delay (issue 20: "due within 30 seconds of their moment under `npm start`"): `npm
 * start` in a process of its own with its defaults (REMINDER_POLL_MS 10 s, REMINDER_LOCK_MS
 * 20 s, TASK_DUE_SOON_HOURS 24), a manager's tasks assigned to a member with moments spread over
 * the next 15–45 s (TASK_OVERDUE at the due date; TASK_DUE_SOON 24 h before a due date a day
 * away); each reminder's delay is its notification's `createdAt` minus its moment. Figures only.
 */
import { signUpRemote, startNpmStart, type RemotePerson, type Topology } from './lib/topologies';
import type { ScenarioResult } from './lib/measure';

const DAY_MS = 86_400_000;
const INBOX = `query ($id: ID!) { user(id: $id) { notifications(first: 100) {
  edges { node { kind createdAt task { id } } } } } }`;

interface Inbox {
  user: {
    notifications: {
      edges: { node: { kind: string; createdAt: string; task: { id: string } | null } }[];
    };
  };
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

async function delays(
  stack: Topology,
  manager: RemotePerson,
  member: RemotePerson,
  count: number,
): Promise<{ overdue: number[]; dueSoon: number[] }> {
  const { createProject } = await stack.query<{ createProject: { id: string } }>(
    'mutation ($input: CreateProjectInput!) { createProject(input: $input) { id } }',
    { input: { name: `Reminder delay ${Date.now()}`, status: 'ACTIVE' } },
    manager.headers,
  );
  await stack.query(
    'mutation ($input: AddProjectMemberInput!) { addProjectMember(input: $input) { id } }',
    { input: { projectId: createProject.id, userId: member.id } },
    manager.headers,
  );
  // task id → [kind, moment in ms]
  const moments = new Map<string, [string, number]>();
  const start = Date.now();
  for (let i = 0; i < count; i++) {
    const moment = start + 15_000 + Math.round((30_000 * i) / Math.max(1, count - 1));
    const dueSoon = i % 2 === 1;
    const { createTask } = await stack.query<{ createTask: { id: string } }>(
      'mutation ($input: CreateTaskInput!) { createTask(input: $input) { id } }',
      {
        input: {
          projectId: createProject.id,
          title: `Reminder ${i}`,
          assigneeId: member.id,
          dueDate: new Date(dueSoon ? moment + DAY_MS : moment).toISOString(),
        },
      },
      manager.headers,
    );
    moments.set(createTask.id, [dueSoon ? 'TASK_DUE_SOON' : 'TASK_OVERDUE', moment]);
  }
  const found = new Map<string, number>();
  const deadline = start + 45_000 + 120_000;
  while (found.size < moments.size && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const inbox = await stack.query<Inbox>(INBOX, { id: member.id }, member.headers);
    for (const { node } of inbox.user.notifications.edges) {
      const expected = node.task ? moments.get(node.task.id) : undefined;
      if (expected && expected[0] === node.kind && node.task)
        found.set(node.task.id, Date.parse(node.createdAt) - expected[1]);
    }
  }
  if (found.size < moments.size)
    throw new Error(`${moments.size - found.size} reminders did not arrive within 2 minutes`);
  const overdue: number[] = [];
  const dueSoon: number[] = [];
  for (const [taskId, delay] of found) {
    (moments.get(taskId)?.[0] === 'TASK_OVERDUE' ? overdue : dueSoon).push(delay);
  }
  return { overdue, dueSoon };
}

const result = (name: string, values: number[]): ScenarioResult => {
  const sorted = [...values].sort((a, b) => a - b);
  return {
    name,
    operations: sorted.length,
    totalMs: 0,
    // The table's throughput column: how many were measured (the delays are the ms columns).
    opsPerSecond: sorted.length,
    unit: 'reminders',
    p50Ms: percentile(sorted, 50),
    p95Ms: percentile(sorted, 95),
    p99Ms: percentile(sorted, 99),
    notes: `min ${sorted[0] ?? 0} ms, max ${sorted.at(-1) ?? 0} ms over ${sorted.length}`,
  };
};

export async function runRemindersBench(full: boolean): Promise<ScenarioResult[]> {
  const stack = await startNpmStart();
  try {
    const manager = await signUpRemote(stack, stack.admin, 'MANAGER');
    const member = await signUpRemote(stack, stack.admin, 'MEMBER');
    const { overdue, dueSoon } = await delays(stack, manager, member, full ? 40 : 12);
    return [
      result('TASK_OVERDUE, npm start defaults', overdue),
      result('TASK_DUE_SOON, npm start defaults', dueSoon),
    ];
  } finally {
    await stack.stop();
  }
}
