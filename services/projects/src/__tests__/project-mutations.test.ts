import { Cleanup, randomId } from '@psa/shared/testing';
import {
  ADD_MEMBER,
  DELETE,
  errorOf,
  POST_UPDATE,
  READ,
  REMOVE_MEMBER,
  startProjects,
  STATUS_UPDATE_FIELDS,
  STATUS_UPDATES,
  UPDATE,
  type PageView,
  type ProjectsHarness,
  type ProjectView,
  type StatusUpdateView,
} from './projects-harness';

const cleanup = new Cleanup();
let harness: ProjectsHarness;
let managerId: string;
let manager: Record<string, string>;

beforeAll(async () => {
  harness = await startProjects(cleanup);
  managerId = randomId();
  manager = harness.auth('MANAGER', managerId);
});

afterAll(() => cleanup.run());

const newProject = (input: Record<string, unknown> = {}) =>
  harness.createProject({ name: 'Website relaunch', description: 'Q1', ...input }, manager);

async function read(id: string): Promise<ProjectView | undefined> {
  const body = await harness.gql<{ project: ProjectView }>(READ, { id }, harness.auth('ADMIN'));
  return body.data?.project;
}

describe('updateProject', () => {
  it('changes the given fields and leaves absent ones alone', async () => {
    const project = await newProject({ status: 'PLANNED' });
    const body = await harness.gql<{ updateProject: ProjectView }>(
      UPDATE,
      { input: { id: project.id, name: '  Relaunch v2 ', status: 'ON_HOLD' } },
      manager,
    );
    expect(body.errors).toBeUndefined();
    const updated = body.data?.updateProject;
    expect(updated).toMatchObject({ name: 'Relaunch v2', description: 'Q1', status: 'ON_HOLD' });
    expect(updated?.createdAt).toBe(project.createdAt);
    expect(Date.parse(updated?.updatedAt ?? '')).toBeGreaterThanOrEqual(
      Date.parse(project.updatedAt),
    );
    expect(await read(project.id)).toEqual(updated);
  });

  it('clears the description with null or blank', async () => {
    for (const description of [null, '   ']) {
      const project = await newProject();
      const body = await harness.gql<{ updateProject: ProjectView }>(
        UPDATE,
        { input: { id: project.id, description } },
        harness.auth('ADMIN'),
      );
      expect(body.data?.updateProject.description).toBeNull();
    }
  });

  it('with nothing to change returns the project as it is', async () => {
    const project = await newProject();
    const body = await harness.gql(UPDATE, { input: { id: project.id } }, manager);
    expect(body.data).toEqual({ updateProject: project });
  });

  it.each([
    ['a malformed id', { id: 'nope' }, 'input.id'],
    ['an empty name', { name: '  ' }, 'input.name'],
    ['a null name', { name: null }, 'input.name'],
    ['a name over 200 characters', { name: 'x'.repeat(201) }, 'input.name'],
    [
      'a description over 10,000 characters',
      { description: 'x'.repeat(10_001) },
      'input.description',
    ],
    ['a null status', { status: null }, 'input.status'],
  ])(
    'refuses %s with BAD_USER_INPUT naming the field, changing nothing',
    async (_c, input, field) => {
      const project = await newProject();
      const body = await harness.gql(
        UPDATE,
        // A valid change beside the bad one must not be written either.
        { input: { id: project.id, status: 'ACTIVE', ...input } },
        manager,
      );
      expect(body.data).toBeNull();
      expect(errorOf(body)).toEqual({ code: 'BAD_USER_INPUT', field });
      expect(await read(project.id)).toEqual(project);
    },
  );

  it('refuses an unknown status before the resolver runs', async () => {
    const project = await newProject();
    const body = await harness.gql(UPDATE, { input: { id: project.id, status: 'DONE' } }, manager);
    expect(errorOf(body).code).toBe('BAD_USER_INPUT');
  });

  it('is NOT_FOUND for a project that does not exist', async () => {
    const body = await harness.gql(UPDATE, { input: { id: randomId(), name: 'x' } }, manager);
    expect(errorOf(body).code).toBe('NOT_FOUND');
  });
});

describe('deleteProject', () => {
  it('deletes the project and its status updates', async () => {
    const project = await newProject();
    const posted = await harness.gql<{ postStatusUpdate: StatusUpdateView }>(
      POST_UPDATE,
      { input: { projectId: project.id, message: 'Soon gone' } },
      manager,
    );
    const updateId = posted.data?.postStatusUpdate.id;
    expect(await harness.gql(DELETE, { id: project.id }, manager)).toEqual({
      data: { deleteProject: true },
    });
    const admin = harness.auth('ADMIN');
    expect(errorOf(await harness.gql(READ, { id: project.id }, admin)).code).toBe('NOT_FOUND');
    const entity = await harness.gql(
      'query ($r: [_Any!]!) { _entities(representations: $r) { ... on StatusUpdate { id } } }',
      { r: [{ __typename: 'StatusUpdate', id: updateId }] },
      admin,
    );
    expect(errorOf(entity).code).toBe('NOT_FOUND');
    // Deleting again: nothing there.
    expect(errorOf(await harness.gql(DELETE, { id: project.id }, manager)).code).toBe('NOT_FOUND');
  });

  it('refuses a malformed id with BAD_USER_INPUT naming it', async () => {
    const body = await harness.gql(DELETE, { id: '{"$ne":null}' }, harness.auth('ADMIN'));
    expect(errorOf(body)).toEqual({ code: 'BAD_USER_INPUT', field: 'id' });
  });
});

describe('addProjectMember / removeProjectMember', () => {
  it('adds a member, who then reads the project; adding again changes nothing', async () => {
    const project = await newProject();
    const memberId = randomId();
    for (let attempt = 0; attempt < 2; attempt += 1) {
      const body = await harness.gql<{ addProjectMember: ProjectView }>(
        ADD_MEMBER,
        { input: { projectId: project.id, userId: memberId.toUpperCase() } },
        manager,
      );
      expect(body.errors).toBeUndefined();
      expect(body.data?.addProjectMember.members).toEqual([{ id: memberId }]);
    }
    const asMember = await harness.gql(READ, { id: project.id }, harness.auth('CLIENT', memberId));
    expect(asMember.errors).toBeUndefined();
  });

  it('adding the manager changes nothing: the manager is never listed as a member', async () => {
    const project = await newProject();
    const body = await harness.gql<{ addProjectMember: ProjectView }>(
      ADD_MEMBER,
      { input: { projectId: project.id, userId: managerId } },
      manager,
    );
    expect(body.data?.addProjectMember).toEqual(project);
  });

  it('removes a member, who then no longer sees the project; removing again changes nothing', async () => {
    const project = await newProject();
    const [stays, leaves] = [randomId(), randomId()];
    await harness.addMember(project.id, stays, manager);
    await harness.addMember(project.id, leaves, harness.auth('ADMIN'));
    for (let attempt = 0; attempt < 2; attempt += 1) {
      const body = await harness.gql<{ removeProjectMember: ProjectView }>(
        REMOVE_MEMBER,
        { input: { projectId: project.id, userId: leaves } },
        manager,
      );
      expect(body.data?.removeProjectMember.members).toEqual([{ id: stays }]);
    }
    const asLeaver = await harness.gql(READ, { id: project.id }, harness.auth('MEMBER', leaves));
    expect(errorOf(asLeaver).code).toBe('NOT_FOUND');
  });

  it.each([
    ['addProjectMember', 'projectId'],
    ['addProjectMember', 'userId'],
    ['removeProjectMember', 'projectId'],
    ['removeProjectMember', 'userId'],
  ] as const)('%s refuses a malformed %s with BAD_USER_INPUT naming it', async (name, field) => {
    const project = await newProject();
    const mutation = name === 'addProjectMember' ? ADD_MEMBER : REMOVE_MEMBER;
    const input = { projectId: project.id, userId: randomId(), [field]: 'not-an-id' };
    const body = await harness.gql(mutation, { input }, manager);
    expect(body.data).toBeNull();
    expect(errorOf(body)).toEqual({ code: 'BAD_USER_INPUT', field: `input.${field}` });
    expect(await read(project.id)).toEqual(project);
  });
});

describe('postStatusUpdate', () => {
  it('with a status, sets the project status too, as the caller and not automatic', async () => {
    const project = await newProject({ status: 'PLANNED' });
    const body = await harness.gql<{ postStatusUpdate: StatusUpdateView }>(
      POST_UPDATE,
      { input: { projectId: project.id, message: '  Kick-off done ', status: 'ACTIVE' } },
      manager,
    );
    expect(body.errors).toBeUndefined();
    const update = body.data?.postStatusUpdate;
    expect(update).toMatchObject({
      message: 'Kick-off done',
      status: 'ACTIVE',
      automatic: false,
      author: { id: managerId },
      project: { id: project.id, status: 'ACTIVE' },
    });
    expect(new Date(update?.timestamp ?? '').toISOString()).toBe(update?.timestamp);
    expect((await read(project.id))?.status).toBe('ACTIVE');
  });

  it('without a status leaves the project status alone; an admin is the author of their own', async () => {
    const project = await newProject({ status: 'ON_HOLD' });
    const adminId = randomId();
    const body = await harness.gql<{ postStatusUpdate: StatusUpdateView }>(
      POST_UPDATE,
      { input: { projectId: project.id, message: 'Waiting for the client' } },
      harness.auth('ADMIN', adminId),
    );
    expect(body.data?.postStatusUpdate).toMatchObject({
      status: null,
      author: { id: adminId },
      project: { status: 'ON_HOLD' },
    });
  });

  it('accepts a message of exactly 5,000 characters', async () => {
    const project = await newProject();
    const body = await harness.gql(
      POST_UPDATE,
      { input: { projectId: project.id, message: '😀'.repeat(5_000) } },
      manager,
    );
    expect(body.errors).toBeUndefined();
  });

  it.each([
    ['an empty message', { message: '' }, 'input.message'],
    ['a blank message', { message: '   ' }, 'input.message'],
    ['a message over 5,000 characters', { message: 'x'.repeat(5_001) }, 'input.message'],
    ['a malformed project id', { projectId: 'nope' }, 'input.projectId'],
  ])(
    'refuses %s with BAD_USER_INPUT naming the field, writing nothing',
    async (_c, input, field) => {
      const project = await newProject({ status: 'PLANNED' });
      const body = await harness.gql(
        POST_UPDATE,
        { input: { projectId: project.id, message: 'Fine', status: 'ACTIVE', ...input } },
        manager,
      );
      expect(body.data).toBeNull();
      expect(errorOf(body)).toEqual({ code: 'BAD_USER_INPUT', field });
      const after = await harness.gql<{ project: { statusUpdates: PageView<unknown> } }>(
        STATUS_UPDATES,
        { id: project.id },
        manager,
      );
      expect(after.data?.project.statusUpdates.totalCount).toBe(0);
      expect((await read(project.id))?.status).toBe('PLANNED');
    },
  );

  it('resolves StatusUpdate references only for those who may see the project', async () => {
    const project = await newProject();
    const posted = await harness.gql<{ postStatusUpdate: StatusUpdateView }>(
      POST_UPDATE,
      { input: { projectId: project.id, message: 'Referenced' } },
      manager,
    );
    const query = `query ($r: [_Any!]!) { _entities(representations: $r) { ... on StatusUpdate { ${STATUS_UPDATE_FIELDS} } } }`;
    const representations = [{ __typename: 'StatusUpdate', id: posted.data?.postStatusUpdate.id }];
    const seen = await harness.gql(query, { r: representations }, manager);
    expect(seen).toEqual({ data: { _entities: [posted.data?.postStatusUpdate] } });
    for (const r of [representations, [{ __typename: 'StatusUpdate', id: randomId() }]]) {
      const hidden = await harness.gql(query, { r }, harness.auth('MANAGER'));
      expect(hidden.data).toEqual({ _entities: [null] });
      expect(errorOf(hidden).code).toBe('NOT_FOUND');
    }
  });
});
