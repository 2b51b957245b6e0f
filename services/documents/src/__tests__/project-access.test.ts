/**
 * Project documents follow the project's membership as the projects service announces it
 * (`project.access-changed` on the projects stream), kept in the documents service's read model:
 * readable right after a snapshot is handled, whatever the delivery order, and gone with the
 * project.
 */
import { projectAccessChanged, STREAMS } from '@psa/shared';
import { Cleanup, randomId } from '@psa/shared/testing';
import {
  errorOf,
  LIST,
  newProject,
  READ,
  startDocuments,
  uniqueTitle,
  type AccessSnapshot,
  type DocumentsHarness,
  type PageView,
} from './documents-harness';

const cleanup = new Cleanup();
let harness: DocumentsHarness;

beforeAll(async () => {
  harness = await startDocuments(cleanup);
});

afterAll(() => cleanup.run());

const CREATE_ID = `mutation ($input: CreateDocumentInput!) { createDocument(input: $input) { id } }`;
const PROJECT_DOCUMENTS = `query ($representations: [_Any!]!) {
  _entities(representations: $representations) {
    ... on Project { id documents(first: 100) { totalCount edges { node { id } } } } } }`;

/** Whether `headers` may read the document, and whether it is listed for them. */
async function sees(
  target: DocumentsHarness,
  documentId: string,
  title: string,
  headers: Record<string, string>,
): Promise<{ read: boolean; listed: boolean }> {
  const read = await target.gql(READ, { id: documentId }, headers);
  if (read.errors) expect(errorOf(read).code).toBe('NOT_FOUND');
  const list = await target.ok<{ documents: PageView<{ id: string }> }>(
    LIST,
    { filter: { search: `"${title}"` } },
    headers,
  );
  return {
    read: !read.errors,
    listed: list.documents.edges.some((edge) => edge.node.id === documentId),
  };
}

/** A project managed by a fresh user with one document of the manager's. */
async function projectWithDocument(target = harness) {
  const managerId = randomId();
  const project = newProject(managerId, []);
  await target.setProjectAccess(project);
  const title = uniqueTitle('Plan');
  const document = await target.createDocument(
    { title, projectId: project.projectId },
    target.auth('MANAGER', managerId),
  );
  return { project, managerId, title, documentId: document.id };
}

describe('project membership from project.access-changed', () => {
  it('makes the documents readable to a member right after the snapshot, and not after removal', async () => {
    const { project, managerId, title, documentId } = await projectWithDocument();
    const memberId = randomId();
    const member = harness.auth('CLIENT', memberId);
    expect(await sees(harness, documentId, title, member)).toEqual({ read: false, listed: false });

    await harness.setProjectAccess({ ...project, memberIds: [memberId], version: 2 });
    expect(await sees(harness, documentId, title, member)).toEqual({ read: true, listed: true });
    const projectDocuments = await harness.ok<{
      _entities: { documents: { totalCount: number } }[];
    }>(
      PROJECT_DOCUMENTS,
      { representations: [{ __typename: 'Project', id: project.projectId }] },
      member,
    );
    expect(projectDocuments._entities[0]?.documents.totalCount).toBe(1);

    await harness.setProjectAccess({ ...project, memberIds: [], version: 3 });
    expect(await sees(harness, documentId, title, member)).toEqual({ read: false, listed: false });
    // The manager still reads it: they own it and manage the project.
    expect(await sees(harness, documentId, title, harness.auth('MANAGER', managerId))).toEqual({
      read: true,
      listed: true,
    });
  });

  it('deletes the documents of a deleted project, keeping their access logs', async () => {
    const doomed = await projectWithDocument();
    const kept = await projectWithDocument();
    const admin = harness.auth('ADMIN');
    await harness.gql(READ, { id: doomed.documentId }, admin);

    await harness.setProjectAccess({ ...doomed.project, version: 2, deleted: true });

    expect(errorOf(await harness.gql(READ, { id: doomed.documentId }, admin)).code).toBe(
      'NOT_FOUND',
    );
    expect(await sees(harness, doomed.documentId, doomed.title, admin)).toEqual({
      read: false,
      listed: false,
    });
    expect((await harness.storedLog(doomed.documentId)).map((entry) => entry.action)).toContain(
      'VIEW',
    );
    expect(await sees(harness, kept.documentId, kept.title, admin)).toEqual({
      read: true,
      listed: true,
    });
    // Nobody adds a document to a deleted project, not even its former manager.
    const refused = await harness.gql(
      CREATE_ID,
      {
        input: {
          title: 'Late',
          fileUrl: 'https://files.example.com/late.pdf',
          projectId: doomed.project.projectId,
        },
      },
      harness.auth('MANAGER', doomed.managerId),
    );
    expect(errorOf(refused).code).toBe('NOT_FOUND');
  });

  it('ignores out-of-order and redelivered snapshots', async () => {
    const { project, title, documentId } = await projectWithDocument();
    const [early, late] = [randomId(), randomId()];
    const v3: AccessSnapshot = { ...project, memberIds: [late], version: 3 };
    await harness.setProjectAccess(v3);
    // Version 2 arrives after version 3: it is stale, and so is version 3 again.
    await harness.setProjectAccess({ ...project, memberIds: [early], version: 2 });
    await harness.setProjectAccess(v3);
    expect(await sees(harness, documentId, title, harness.auth('MEMBER', early))).toEqual({
      read: false,
      listed: false,
    });
    expect(await sees(harness, documentId, title, harness.auth('MEMBER', late))).toEqual({
      read: true,
      listed: true,
    });
  });

  it('keeps a deleted project deleted when an older snapshot arrives late', async () => {
    const { project, managerId, documentId } = await projectWithDocument();
    await harness.setProjectAccess({ ...project, version: 5, deleted: true });
    await harness.setProjectAccess({ ...project, version: 4 });
    await harness.setProjectAccess({ ...project, version: 5, deleted: true });
    const read = await harness.gql(READ, { id: documentId }, harness.auth('MANAGER', managerId));
    expect(errorOf(read).code).toBe('NOT_FOUND');
    const created = await harness.gql(
      CREATE_ID,
      {
        input: {
          title: 'Again',
          fileUrl: 'https://files.example.com/again.pdf',
          projectId: project.projectId,
        },
      },
      harness.auth('MANAGER', managerId),
    );
    expect(errorOf(created).code).toBe('NOT_FOUND');
  });

  it('handles after a restart what was published while the service was stopped', async () => {
    const own = new Cleanup();
    try {
      const first = await startDocuments(own);
      const { project, title, documentId } = await projectWithDocument(first);
      await first.started.service.stop();

      const memberId = randomId();
      const event = await first.events.publish(STREAMS.projects, projectAccessChanged.type, {
        ...project,
        memberIds: [memberId],
        version: 2,
        deleted: false,
      });
      const second = await startDocuments(own, {
        env: first.started.env,
        keysDir: first.started.keysDir,
      });
      expect(await second.events.handledBy(event, ['documents'], 5_000)).toBe(true);
      expect(await sees(second, documentId, title, second.auth('MEMBER', memberId))).toEqual({
        read: true,
        listed: true,
      });
    } finally {
      await own.run();
    }
  });
});
