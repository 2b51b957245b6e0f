import mongoose from 'mongoose';
import {
  allTasksDone,
  memberRemoved,
  projectAccessChanged,
  projectUpdated,
  STREAMS,
  userDeleted,
  type DomainEvent,
  type ProjectAccessSnapshot,
} from '@psa/shared';
import { Cleanup, eventually, randomId } from '@psa/shared/testing';
import {
  DELETE,
  errorOf,
  POST_UPDATE,
  READ,
  REMOVE_MEMBER,
  startProjects,
  STATUS_UPDATES,
  UPDATE,
  type PageView,
  type ProjectsHarness,
  type ProjectView,
} from './projects-harness';

const cleanup = new Cleanup();
let harness: ProjectsHarness;
let managerId: string;
let manager: Record<string, string>;
/** Every project.access-changed snapshot the service published, in order. */
const snapshots: ProjectAccessSnapshot[] = [];
/** Every other event the service published on its stream, in order. */
const heard: DomainEvent[] = [];
/** How long the consumer standing in for the tasks service takes per event (ms). */
let tasksServiceDelay = 0;

beforeAll(async () => {
  harness = await startProjects(cleanup);
  managerId = randomId();
  manager = harness.auth('MANAGER', managerId);
  const consumer = await harness.events.consume({
    stream: STREAMS.projects,
    group: 'tasks',
    consumer: 'test',
    handler: async (event: DomainEvent) => {
      await new Promise((resolve) => setTimeout(resolve, tasksServiceDelay));
      if (event.type === projectAccessChanged.type) {
        snapshots.push(event.data as ProjectAccessSnapshot);
      } else {
        heard.push(event);
      }
    },
  });
  cleanup.add(() => consumer.stop());
});

afterAll(() => cleanup.run());

const newProject = () => harness.createProject({ name: 'Website relaunch' }, manager);
const snapshotsOf = (projectId: string) => snapshots.filter((s) => s.projectId === projectId);
/** The payloads of the events of `type` about project `projectId` heard so far. */
const heardOf = (type: string, projectId: string) =>
  heard.filter((e) => e.type === type && e.data.projectId === projectId).map((e) => e.data);

async function statusUpdates(projectId: string) {
  const body = await harness.gql<{
    project: { statusUpdates: PageView<{ id: string; message: string }> };
  }>(STATUS_UPDATES, { id: projectId, first: 100 }, harness.auth('ADMIN'));
  return body.data?.project.statusUpdates;
}

describe('project.access-changed', () => {
  it('announces who may see a project after every change, newer versions last', async () => {
    const project = await newProject();
    const member = randomId();
    await harness.addMember(project.id, member, manager);
    await harness.gql(REMOVE_MEMBER, { input: { projectId: project.id, userId: member } }, manager);
    expect(snapshotsOf(project.id)).toEqual([
      { projectId: project.id, managerId, memberIds: [], version: 1, deleted: false },
      { projectId: project.id, managerId, memberIds: [member], version: 2, deleted: false },
      { projectId: project.id, managerId, memberIds: [], version: 3, deleted: false },
    ]);
  });

  it('returns from a change only once the consuming services handled it', async () => {
    tasksServiceDelay = 300;
    try {
      const started = Date.now();
      const project = await newProject();
      expect(Date.now() - started).toBeGreaterThanOrEqual(250);
      expect(snapshotsOf(project.id)).toHaveLength(1);
    } finally {
      tasksServiceDelay = 0;
    }
  });

  it('announces a deleted project with a final version', async () => {
    const project = await newProject();
    expect((await harness.gql(DELETE, { id: project.id }, manager)).errors).toBeUndefined();
    expect(snapshotsOf(project.id).at(-1)).toEqual({
      projectId: project.id,
      managerId: null,
      memberIds: [],
      version: Number.MAX_SAFE_INTEGER,
      deleted: true,
    });
  });

  it('announces nothing for a change that changes nobody’s access', async () => {
    const project = await newProject();
    await harness.gql(UPDATE, { input: { id: project.id, name: 'Renamed' } }, manager);
    await harness.addMember(project.id, managerId, manager);
    expect(snapshotsOf(project.id)).toHaveLength(1);
  });

  it('publishes a change a crash left in the outbox (the sweeper)', async () => {
    const project = await newProject();
    // As if the process died between recording the intent and delivering it.
    const connection = await mongoose
      .createConnection(process.env.MONGO_URL as string, {
        dbName: harness.started.env.PROJECTS_DB,
      })
      .asPromise();
    cleanup.add(() => connection.close());
    await connection.collection('outbox').insertOne({
      topic: 'project.access',
      data: { projectId: project.id },
      createdAt: new Date(0),
    });
    await eventually(() => snapshotsOf(project.id).length === 2);
    expect(snapshotsOf(project.id)[1]).toEqual(snapshotsOf(project.id)[0]);
    await eventually(async () => (await connection.collection('outbox').countDocuments()) === 0);
  });
});

describe('project.updated', () => {
  it('names the fields that changed; a change to the same values announces nothing', async () => {
    const project = await newProject();
    await harness.gql(UPDATE, { input: { id: project.id, name: project.name } }, manager);
    await harness.gql(
      UPDATE,
      { input: { id: project.id, name: 'Renamed', status: 'ACTIVE' } },
      manager,
    );
    // A status update that sets the status changes the project too; one with the same, not.
    for (const status of ['ON_HOLD', 'ON_HOLD']) {
      const posted = await harness.gql(
        POST_UPDATE,
        { input: { projectId: project.id, message: 'Paused', status } },
        manager,
      );
      expect(posted.errors).toBeUndefined();
    }
    await eventually(() => heardOf(projectUpdated.type, project.id).length >= 2);
    // Anything more would have arrived with the status updates' own events.
    await eventually(() => heardOf('status-update.posted', project.id).length === 2);
    expect(heardOf(projectUpdated.type, project.id)).toEqual([
      {
        projectId: project.id,
        name: 'Renamed',
        status: 'ACTIVE',
        managerId,
        changed: ['name', 'status'],
        actorId: managerId,
      },
      {
        projectId: project.id,
        name: 'Renamed',
        status: 'ON_HOLD',
        managerId,
        changed: ['status'],
        actorId: managerId,
      },
    ]);
  });
});

describe('giving a project another manager', () => {
  it('is for admins; the new manager leaves the members and the change is announced', async () => {
    const project = await newProject();
    const next = randomId();
    await harness.addMember(project.id, next, manager);
    const denied = await harness.gql(
      UPDATE,
      { input: { id: project.id, managerId: next } },
      manager,
    );
    expect(errorOf(denied).code).toBe('FORBIDDEN');
    const body = await harness.gql<{ updateProject: ProjectView }>(
      UPDATE,
      { input: { id: project.id, managerId: next } },
      harness.auth('ADMIN'),
    );
    expect(body.errors).toBeUndefined();
    expect(body.data?.updateProject).toMatchObject({ manager: { id: next }, members: [] });
    expect(snapshotsOf(project.id).at(-1)).toMatchObject({ managerId: next, memberIds: [] });
    // The old manager no longer sees it.
    const read = await harness.gql(READ, { id: project.id }, manager);
    expect(errorOf(read).code).toBe('NOT_FOUND');
  });

  it('refuses a malformed or null manager id', async () => {
    const project = await newProject();
    for (const managerId of ['nope', null]) {
      const body = await harness.gql(
        UPDATE,
        { input: { id: project.id, managerId } },
        harness.auth('ADMIN'),
      );
      expect(errorOf(body)).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.managerId' });
    }
  });
});

describe('consumed events', () => {
  it('posts "All N tasks are done" once per completion, however often it is delivered', async () => {
    const project = await newProject();
    const actorId = randomId();
    const completion = { projectId: project.id, total: 3, completion: 1, actorId };
    for (let i = 0; i < 3; i++) {
      const event = await harness.events.publish(STREAMS.tasks, allTasksDone.type, completion);
      expect(await harness.events.handledBy(event, ['projects'], 5_000)).toBe(true);
    }
    const second = await harness.events.publish(STREAMS.tasks, allTasksDone.type, {
      ...completion,
      total: 4,
      completion: 2,
    });
    await harness.events.handledBy(second, ['projects'], 5_000);
    const body = await harness.gql<{
      project: {
        statusUpdates: PageView<{ message: string; automatic: boolean; author: { id: string } }>;
      };
    }>(
      `query ($id: ID!) { project(id: $id) { statusUpdates(first: 10) {
        totalCount pageInfo { hasNextPage endCursor }
        edges { cursor node { message automatic author { id } } } } } }`,
      { id: project.id },
      manager,
    );
    expect(body.data?.project.statusUpdates.edges.map((e) => e.node)).toEqual([
      { message: 'All 3 tasks are done', automatic: true, author: { id: actorId } },
      { message: 'All 4 tasks are done', automatic: true, author: { id: actorId } },
    ]);
  });

  it('ignores a completion of a project that is gone, and malformed events', async () => {
    const gone = await harness.events.publish(STREAMS.tasks, allTasksDone.type, {
      projectId: randomId(),
      total: 1,
      completion: 1,
      actorId: randomId(),
    });
    const malformed = await harness.events.publish(STREAMS.tasks, allTasksDone.type, {
      projectId: 'x',
    });
    expect(await harness.events.handledBy(gone, ['projects'], 5_000)).toBe(true);
    expect(await harness.events.handledBy(malformed, ['projects'], 5_000)).toBe(true);
  });

  it('takes a deleted user out of the projects they were a member of', async () => {
    const gone = randomId();
    const stays = randomId();
    const [a, b] = [await newProject(), await newProject()];
    for (const project of [a, b]) {
      await harness.addMember(project.id, gone, manager);
      await harness.addMember(project.id, stays, manager);
    }
    const event = await harness.events.publish(STREAMS.users, userDeleted.type, { userId: gone });
    expect(await harness.events.handledBy(event, ['projects'], 5_000)).toBe(true);
    for (const project of [a, b]) {
      const read = await harness.gql<{ project: ProjectView }>(READ, { id: project.id }, manager);
      expect(read.data?.project.members).toEqual([{ id: stays }]);
      expect(snapshotsOf(project.id).at(-1)?.memberIds).toEqual([stays]);
    }
    expect(await statusUpdates(a.id)).toMatchObject({ totalCount: 0 });
    // No one removed them (actorId null), and a redelivery announces nothing more.
    const again = await harness.events.publish(STREAMS.users, userDeleted.type, { userId: gone });
    expect(await harness.events.handledBy(again, ['projects'], 5_000)).toBe(true);
    for (const project of [a, b]) {
      await eventually(() => heardOf(memberRemoved.type, project.id).length >= 1);
    }
    await new Promise((resolve) => setTimeout(resolve, 300));
    for (const project of [a, b]) {
      expect(heardOf(memberRemoved.type, project.id)).toEqual([
        { projectId: project.id, projectName: project.name, userId: gone, actorId: null },
      ]);
    }
  });
});
