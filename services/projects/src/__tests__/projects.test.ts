import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ConfigError, loadOrCreateDevSigningKey, type Role } from '@psa/shared';
import {
  bearer,
  Cleanup,
  graphqlRequest,
  randomId,
  startServiceUnderTest,
  type AuthHeaders,
  type GraphQLBody,
} from '@psa/shared/testing';
import {
  loadProjectsConfig,
  startProjectsService,
  type SubgraphService,
} from '../projects-service';

interface ProjectView {
  id: string;
  name: string;
  description: string | null;
  status: string;
  manager: { id: string };
  members: { id: string }[];
  createdAt: string;
  updatedAt: string;
}

const cleanup = new Cleanup();
let service: SubgraphService;
let auth: AuthHeaders;

const errorOf = (body: GraphQLBody<unknown>) => body.errors?.[0]?.extensions ?? {};

const PROJECT_FIELDS =
  'id name description status manager { id } members { id } createdAt updatedAt';
const CREATE = `mutation ($input: CreateProjectInput!) { createProject(input: $input) { ${PROJECT_FIELDS} } }`;
const READ = `query ($id: ID!) { project(id: $id) { ${PROJECT_FIELDS} } }`;

async function createProject(
  input: Record<string, unknown>,
  headers: Record<string, string>,
): Promise<GraphQLBody<{ createProject: ProjectView }>> {
  const { body } = await graphqlRequest<{ createProject: ProjectView }>(
    service.url,
    CREATE,
    { input },
    headers,
  );
  return body;
}

beforeAll(async () => {
  ({ service, auth } = await startServiceUnderTest({
    name: 'projects',
    load: loadProjectsConfig,
    start: startProjectsService,
    cleanup,
  }));
});

afterAll(() => cleanup.run());

describe('configuration', () => {
  it('defaults to port 4002 and the psa_projects database', () => {
    expect(loadProjectsConfig({})).toMatchObject({
      PROJECTS_PORT: 4002,
      PROJECTS_DB: 'psa_projects',
    });
  });

  it('requires the verification keys in production', () => {
    expect(() => loadProjectsConfig({ NODE_ENV: 'production' })).toThrow(ConfigError);
    expect(() => loadProjectsConfig({ NODE_ENV: 'production' })).toThrow(/JWT_PUBLIC_KEYS/);
  });
});

describe('createProject', () => {
  it('creates a project managed by the caller and reads it back', async () => {
    const managerId = randomId();
    const headers = auth('MANAGER', managerId);
    const created = await createProject(
      { name: '  Website relaunch  ', description: 'Q1', status: 'ACTIVE' },
      headers,
    );
    expect(created.errors).toBeUndefined();
    const project = created.data?.createProject;
    expect(project).toMatchObject({
      name: 'Website relaunch',
      description: 'Q1',
      status: 'ACTIVE',
      manager: { id: managerId },
      members: [],
    });
    expect(project?.id).toMatch(/^[0-9a-f]{24}$/);
    expect(new Date(project?.createdAt ?? '').toISOString()).toBe(project?.createdAt);
    expect(project?.updatedAt).toBe(project?.createdAt);

    const { body: read } = await graphqlRequest<{ project: ProjectView }>(
      service.url,
      READ,
      { id: project?.id },
      headers,
    );
    expect(read.errors).toBeUndefined();
    expect(read.data?.project).toEqual(project);
  });

  it('defaults the status to PLANNED and an empty description to null', async () => {
    const created = await createProject({ name: 'Audit', description: '   ' }, auth('ADMIN'));
    expect(created.errors).toBeUndefined();
    expect(created.data?.createProject).toMatchObject({ status: 'PLANNED', description: null });
  });

  it.each([
    ['an empty name', { name: '   ' }, 'input.name'],
    ['a name over 200 characters', { name: 'x'.repeat(201) }, 'input.name'],
    [
      'a description over 10,000 characters',
      { name: 'Ok', description: 'x'.repeat(10_001) },
      'input.description',
    ],
  ])('refuses %s with BAD_USER_INPUT naming the field', async (_case, input, field) => {
    const response = await createProject(input, auth('MANAGER'));
    expect(response.data).toBeNull();
    expect(errorOf(response)).toEqual({ code: 'BAD_USER_INPUT', field });
  });

  it('accepts a name of exactly 200 characters', async () => {
    const response = await createProject({ name: 'é'.repeat(200) }, auth('MANAGER'));
    expect(response.errors).toBeUndefined();
  });

  it('refuses an unknown status before the resolver runs', async () => {
    const response = await createProject({ name: 'Ok', status: 'DONE' }, auth('MANAGER'));
    expect(errorOf(response).code).toBe('BAD_USER_INPUT');
  });

  it.each<Role>(['MEMBER', 'CLIENT'])('refuses a %s with FORBIDDEN', async (role) => {
    const response = await createProject({ name: 'Not mine to start' }, auth(role));
    expect(response.data).toBeNull();
    expect(errorOf(response).code).toBe('FORBIDDEN');
  });

  it('answers `_service` (the SDL for composition) without a token, and nothing else', async () => {
    const sdl = await graphqlRequest<{ _service: { sdl: string } }>(
      service.url,
      '{ _service { sdl } }',
    );
    expect(sdl.body.data?._service.sdl).toContain('type Project');
    const mixed = await graphqlRequest(service.url, '{ _service { sdl } project(id: "x") { id } }');
    expect(mixed.body.data).toBeUndefined();
    expect(errorOf(mixed.body).code).toBe('UNAUTHENTICATED');
  });

  it('refuses a caller without a token with UNAUTHENTICATED', async () => {
    const { body } = await graphqlRequest(service.url, CREATE, { input: { name: 'Anonymous' } });
    expect(errorOf(body).code).toBe('UNAUTHENTICATED');
  });

  it('refuses a token signed by another key, or garbage, with UNAUTHENTICATED', async () => {
    const otherDir = mkdtempSync(path.join(tmpdir(), 'psa-projects-other-'));
    cleanup.add(() => rmSync(otherDir, { recursive: true, force: true }));
    const forged = auth('ADMIN', randomId(), loadOrCreateDevSigningKey(otherDir));
    for (const headers of [forged, bearer('not.a.token')]) {
      const response = await createProject({ name: 'Forged' }, headers);
      // Refused before execution: no data at all.
      expect(response.data).toBeUndefined();
      expect(errorOf(response).code).toBe('UNAUTHENTICATED');
    }
  });
});

describe('project(id)', () => {
  let projectId: string;
  const managerId = randomId();

  beforeAll(async () => {
    const created = await createProject({ name: 'Private' }, auth('MANAGER', managerId));
    projectId = created.data?.createProject.id ?? '';
  });

  it('is readable by an admin', async () => {
    const { body } = await graphqlRequest<{ project: ProjectView }>(
      service.url,
      READ,
      { id: projectId },
      auth('ADMIN'),
    );
    expect(body.data?.project.name).toBe('Private');
  });

  it('is NOT_FOUND for a signed-in user who neither manages nor belongs to it', async () => {
    for (const role of ['MANAGER', 'MEMBER', 'CLIENT'] as const) {
      const { body } = await graphqlRequest(service.url, READ, { id: projectId }, auth(role));
      expect(body.data).toEqual({ project: null });
      expect(body.errors?.[0]).toMatchObject({
        message: 'Project not found',
        extensions: { code: 'NOT_FOUND' },
      });
    }
  });

  it.each([
    ['an unknown id', randomId()],
    ['a malformed id', 'not-an-id'],
    ['an operator smuggled in as an id', '{"$ne":null}'],
  ])('is NOT_FOUND for %s', async (_case, id) => {
    const { body } = await graphqlRequest(service.url, READ, { id }, auth('ADMIN'));
    expect(body.data).toEqual({ project: null });
    expect(errorOf(body).code).toBe('NOT_FOUND');
  });

  it('is UNAUTHENTICATED without a token', async () => {
    const { body } = await graphqlRequest(service.url, READ, { id: projectId });
    expect(errorOf(body).code).toBe('UNAUTHENTICATED');
  });
});

describe('_entities (federation references)', () => {
  const ENTITIES = `query ($representations: [_Any!]!) {
    _entities(representations: $representations) { ... on Project { id name manager { id } } }
  }`;

  it('resolves Project references in one request, in order', async () => {
    const managerId = randomId();
    const headers = auth('MANAGER', managerId);
    const first = await createProject({ name: 'First' }, headers);
    const second = await createProject({ name: 'Second' }, headers);
    const ids = [second.data?.createProject.id, first.data?.createProject.id];
    const { body } = await graphqlRequest<{ _entities: { id: string; name: string }[] }>(
      service.url,
      ENTITIES,
      { representations: ids.map((id) => ({ __typename: 'Project', id })) },
      headers,
    );
    expect(body.errors).toBeUndefined();
    expect(body.data?._entities).toEqual([
      { id: ids[0], name: 'Second', manager: { id: managerId } },
      { id: ids[1], name: 'First', manager: { id: managerId } },
    ]);
  });

  it('does not reveal a project the caller may not see, nor one that does not exist', async () => {
    const created = await createProject({ name: 'Hidden' }, auth('MANAGER'));
    for (const id of [created.data?.createProject.id, randomId()]) {
      const { body } = await graphqlRequest<{ _entities: unknown[] }>(
        service.url,
        ENTITIES,
        { representations: [{ __typename: 'Project', id }] },
        auth('MEMBER'),
      );
      expect(body.data?._entities).toEqual([null]);
      expect(errorOf(body).code).toBe('NOT_FOUND');
    }
  });

  it('is UNAUTHENTICATED without a token', async () => {
    const { body } = await graphqlRequest(service.url, ENTITIES, {
      representations: [{ __typename: 'Project', id: randomId() }],
    });
    expect(errorOf(body).code).toBe('UNAUTHENTICATED');
  });
});
