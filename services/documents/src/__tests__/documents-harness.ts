/** What the documents service's test files share: a service to start, operations, helpers. */
import { projectAccessChanged, STREAMS, type EventBus } from '@psa/shared';
import {
  randomId,
  startServiceUnderTest,
  type AuthHeaders,
  type Cleanup,
  type GraphQLBody,
  type ServiceUnderTest,
  graphqlClient,
  type GraphQLClient,
} from '@psa/shared/testing';
import mongoose from 'mongoose';
import {
  loadDocumentsConfig,
  startDocumentsService,
  type DocumentsConfig,
} from '../documents-service';

export interface DocumentView {
  id: string;
  title: string;
  fileUrl: string;
  owner: { id: string };
  project: { id: string } | null;
  sharedWith: { id: string }[];
  createdAt: string;
  updatedAt: string;
}

export interface PageView<T> {
  totalCount: number;
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
  edges: { cursor: string; node: T }[];
}

export interface AccessLogView {
  id: string;
  action: 'VIEW' | 'UPDATE' | 'SHARE' | 'DELETE';
  accessTime: string;
  user: { id: string };
  document: { id: string };
}

export const DOCUMENT_FIELDS =
  'id title fileUrl owner { id } project { id } sharedWith { id } createdAt updatedAt';
const page = (fields: string) =>
  `totalCount pageInfo { hasNextPage endCursor } edges { cursor node { ${fields} } }`;
export const DOCUMENT_PAGE = page('id title');
export const ACCESS_LOG_PAGE = page('id action accessTime user { id } document { id }');

export const CREATE = `mutation ($input: CreateDocumentInput!) { createDocument(input: $input) { ${DOCUMENT_FIELDS} } }`;
export const READ = `query ($id: ID!) { document(id: $id) { ${DOCUMENT_FIELDS} } }`;
export const LIST = `query ($first: Int, $after: String, $filter: DocumentFilter) {
  documents(first: $first, after: $after, filter: $filter) { ${DOCUMENT_PAGE} } }`;
export const USER_DOCUMENTS = `query ($representations: [_Any!]!, $first: Int, $after: String) {
  _entities(representations: $representations) {
    ... on User { id documents(first: $first, after: $after) { ${DOCUMENT_PAGE} } } } }`;
export const UPDATE = `mutation ($input: UpdateDocumentInput!) { updateDocument(input: $input) { ${DOCUMENT_FIELDS} } }`;
export const SHARE = `mutation ($input: ShareDocumentInput!) { shareDocument(input: $input) { ${DOCUMENT_FIELDS} } }`;
export const UNSHARE = `mutation ($input: UnshareDocumentInput!) { unshareDocument(input: $input) { ${DOCUMENT_FIELDS} } }`;
export const DELETE = 'mutation ($id: ID!) { deleteDocument(id: $id) }';
export const ACCESS_LOG = `query ($id: ID!, $first: Int, $after: String) {
  document(id: $id) { id accessLog(first: $first, after: $after) { ${ACCESS_LOG_PAGE} } } }`;

/** The first error's extensions (`{}` when there is none). */
export const errorOf = (body: GraphQLBody<unknown>) => body.errors?.[0]?.extensions ?? {};

/** A title no other test uses, so a `search` finds only what one test made. */
export const uniqueTitle = (prefix: string): string => `${prefix} ${randomId().slice(0, 10)}`;

/** Who may see a project, as the projects service announces it. */
export interface AccessSnapshot {
  projectId: string;
  managerId: string | null;
  memberIds: string[];
  version: number;
  deleted?: boolean;
}

/** A documents service under test, and shorthand to talk to it. */
export interface DocumentsHarness extends GraphQLClient {
  auth: AuthHeaders;
  config: DocumentsConfig;
  /** The started service (`env` restarts one on the same database and event streams). */
  started: ServiceUnderTest<DocumentsConfig>;
  /** The service's event streams. */
  events: EventBus;
  /**
   * Publishes what the projects service would about who may see a project, and waits until the
   * documents service handled it. Fails the test when it was not handled in 5 s.
   */
  setProjectAccess(snapshot: AccessSnapshot): Promise<void>;
  /** Creates a document (its data, or throws with the errors). */
  createDocument(
    input: Record<string, unknown>,
    headers: Record<string, string>,
  ): Promise<DocumentView>;
  /** Shares a document as `headers` (the owner or an admin), or throws with the errors. */
  share(documentId: string, userId: string, headers: Record<string, string>): Promise<void>;
  /** The raw access log entries of a document straight from the database, oldest first. */
  storedLog(documentId: string): Promise<{ action: string; userId: string }[]>;
}

/** A project whose manager and members are the given users, announced as version 1. */
export function newProject(
  managerId: string | null,
  memberIds: string[],
  projectId = randomId(),
): AccessSnapshot {
  return { projectId, managerId, memberIds, version: 1 };
}

/**
 * Starts a documents service for one test file; stopping it is added to `cleanup`. `env` and
 * `keysDir` (another instance's) restart one on the same database, streams and keys.
 */
export async function startDocuments(
  cleanup: Cleanup,
  options: { env?: NodeJS.ProcessEnv; keysDir?: string } = {},
): Promise<DocumentsHarness> {
  const started = await startServiceUnderTest({
    name: 'documents',
    load: loadDocumentsConfig,
    start: startDocumentsService,
    cleanup,
    env: options.env,
    keysDir: options.keysDir,
  });
  const { service, auth, config, events } = started;
  const connection = await mongoose
    .createConnection(config.MONGO_URL, { dbName: config.DOCUMENTS_DB })
    .asPromise();
  cleanup.add(() => connection.close());
  const { gql, ok } = graphqlClient(service.url);
  return {
    auth,
    config,
    started,
    events,
    setProjectAccess: async (snapshot) => {
      const event = await events.publish(STREAMS.projects, projectAccessChanged.type, {
        deleted: false,
        ...snapshot,
      });
      expect(await events.handledBy(event, ['documents'], 5_000)).toBe(true);
    },
    gql,
    ok,
    createDocument: async (input, headers) =>
      (
        await ok<{ createDocument: DocumentView }>(
          CREATE,
          { input: { title: 'SOW', fileUrl: 'https://files.example.com/sow.pdf', ...input } },
          headers,
        )
      ).createDocument,
    share: async (documentId, userId, headers) => {
      await ok(SHARE, { input: { documentId, userId } }, headers);
    },
    storedLog: async (documentId) => {
      const entries = await connection
        .collection('access_logs')
        .find({ documentId: new mongoose.Types.ObjectId(documentId) })
        .sort({ createdAt: 1, _id: 1 })
        .toArray();
      return entries.map((entry) => ({
        action: String(entry.action),
        userId: String(entry.userId),
      }));
    },
  };
}
