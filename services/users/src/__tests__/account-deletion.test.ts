/**
 * deleteAccount and projects: a user who manages projects (as the projects service announces them
 * with `project.access-changed`) cannot delete their account until an admin gives the projects
 * another manager; a deleted account is announced once with `user.deleted`, a refused one never.
 */
import { projectAccessChanged, STREAMS, userDeleted, type DomainEvent } from '@psa/shared';
import { bearer, Cleanup, graphqlRequest, randomId } from '@psa/shared/testing';
import mongoose from 'mongoose';
import { errorOf, signedUp, startUsers, type UsersUnderTest } from './users-harness';

const DELETE_ACCOUNT = 'mutation ($password: String!) { deleteAccount(password: $password) }';

const cleanup = new Cleanup();
let users: UsersUnderTest;
/** Every event the users service published, in order (read in a group of the test's own). */
const published: DomainEvent[] = [];

beforeAll(async () => {
  users = await startUsers(cleanup);
  await users.events.consume({
    stream: STREAMS.users,
    group: `test-${randomId()}`,
    consumer: 'test',
    handler: async (event) => {
      published.push(event);
    },
  });
});

afterAll(() => cleanup.run());

const remove = async (accessToken: string, password: string) =>
  (await graphqlRequest(users.service.url, DELETE_ACCOUNT, { password }, bearer(accessToken))).body;

/** Announces who manages a project, as the projects service would, and waits for the users service. */
async function announce(projectId: string, managerId: string | null, version: number) {
  const event = await users.events.publish(STREAMS.projects, projectAccessChanged.type, {
    projectId,
    managerId,
    memberIds: [],
    version,
    deleted: false,
  });
  expect(await users.events.handledBy(event, ['users'], 5_000)).toBe(true);
}

const deletedEventsOf = (userId: string) =>
  published.filter((event) => event.type === userDeleted.type && event.data.userId === userId);

/** Waits until `count` user.deleted events about `userId` were read, then a little longer. */
async function settledDeletedEvents(userId: string, count: number) {
  const deadline = Date.now() + 5_000;
  while (deletedEventsOf(userId).length < count && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  // Long enough for a duplicate to arrive after the first (reads block for at most 1 s).
  await new Promise((resolve) => setTimeout(resolve, 1_200));
  return deletedEventsOf(userId);
}

describe('deleteAccount of a project manager', () => {
  it('is a CONFLICT while they manage a project, allowed once another manager took over', async () => {
    const manager = await signedUp(users.service.url, 'manager');
    const projectId = randomId();
    await announce(projectId, manager.user.id, 1);

    const refused = await remove(manager.accessToken, manager.password);
    expect(refused.data).toBeNull();
    expect(errorOf(refused)).toEqual({ code: 'CONFLICT' });
    expect(refused.errors?.[0]?.message).toBe(
      'You manage 1 project(s): an admin must give them another manager before this account can be deleted',
    );
    const me = await graphqlRequest<{ me: { id: string } }>(
      users.service.url,
      '{ me { id } }',
      {},
      bearer(manager.accessToken),
    );
    expect(me.body.data?.me.id).toBe(manager.user.id);

    await announce(projectId, randomId(), 2);
    expect(await remove(manager.accessToken, manager.password)).toEqual({
      data: { deleteAccount: true },
    });
    const events = await settledDeletedEvents(manager.user.id, 1);
    expect(events.map((event) => event.data)).toEqual([{ userId: manager.user.id }]);
  });

  it('counts every project they manage, and a stale snapshot does not undo a handover', async () => {
    const manager = await signedUp(users.service.url, 'busy');
    const [first, second] = [randomId(), randomId()];
    await announce(first, manager.user.id, 1);
    await announce(second, manager.user.id, 1);
    const refused = await remove(manager.accessToken, manager.password);
    expect(refused.errors?.[0]?.message).toMatch(/^You manage 2 project\(s\)/);

    await announce(first, null, 2);
    await announce(second, randomId(), 2);
    // Redelivered and out of order: still handed over.
    await announce(second, manager.user.id, 1);
    expect(await remove(manager.accessToken, manager.password)).toEqual({
      data: { deleteAccount: true },
    });
  });
});

describe('the user.deleted event', () => {
  it('is published once, with the id, when an account is deleted', async () => {
    const leaving = await signedUp(users.service.url, 'leaving');
    expect(await remove(leaving.accessToken, leaving.password)).toEqual({
      data: { deleteAccount: true },
    });
    const events = await settledDeletedEvents(leaving.user.id, 1);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ type: 'user.deleted', data: { userId: leaving.user.id } });
  });

  it('is not published when the password is wrong', async () => {
    const staying = await signedUp(users.service.url, 'staying');
    const refused = await remove(staying.accessToken, `${staying.password}!`);
    expect(errorOf(refused)).toEqual({ code: 'BAD_USER_INPUT', field: 'password' });
    expect(await settledDeletedEvents(staying.user.id, 1)).toEqual([]);
  });

  it('is published by the sweeper for a delete whose announcement was left behind, only if it happened', async () => {
    const connection = await mongoose
      .createConnection(users.config.MONGO_URL, { dbName: users.config.USERS_DB })
      .asPromise();
    cleanup.add(() => connection.close());
    const existing = await signedUp(users.service.url, 'existing');
    const gone = randomId();
    // Entries a crash left between recording and delivering: old enough for the sweeper.
    const createdAt = new Date(Date.now() - 60_000);
    await connection.collection('outbox').insertMany([
      { topic: 'user.deleted', data: { userId: existing.user.id }, createdAt },
      { topic: 'user.deleted', data: { userId: gone }, createdAt },
    ]);
    expect((await settledDeletedEvents(gone, 1)).map((event) => event.data)).toEqual([
      { userId: gone },
    ]);
    expect(deletedEventsOf(existing.user.id)).toEqual([]);
    const deadline = Date.now() + 5_000;
    while ((await connection.collection('outbox').countDocuments()) > 0) {
      expect(Date.now()).toBeLessThan(deadline);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  });
});
