import { DateTimeScalar, projectReference, requireIdentity, userReference } from '@psa/shared';
import type { DocumentsContext } from '../context';
import type { Resolvers } from '../generated/resolvers-types';
import type { DocumentConnectionRecord, DocumentRecord } from '../models/document.model';
import { canReadDocument, readableDocument } from '../documents.policy';

/**
 * The document with `id` when the caller may read it, else NOT_FOUND. Its project's access record
 * is loaded (batched per request) only when owning or sharing does not already grant it.
 */
async function loadReadableDocument(id: string, ctx: DocumentsContext): Promise<DocumentRecord> {
  const caller = requireIdentity(ctx.caller);
  const document = await ctx.loaders.document.load(id);
  const access =
    document?.projectId && !canReadDocument(caller, document, null)
      ? await ctx.loaders.projectAccess.load(document.projectId.toHexString())
      : null;
  return readableDocument(caller, document, access);
}

/** Records a VIEW of `document` by the caller (batched per request), then hands it on. */
async function viewed(document: DocumentRecord, ctx: DocumentsContext): Promise<DocumentRecord> {
  await ctx.loaders.view.load(document._id.toHexString());
  return document;
}

/** Records a VIEW of every document on `page` by the caller, in one insert. */
async function viewedPage(
  page: Promise<DocumentConnectionRecord>,
  ctx: DocumentsContext,
): Promise<DocumentConnectionRecord> {
  const connection = await page;
  const results = await ctx.loaders.view.loadMany(
    connection.edges.map((edge) => edge.node._id.toHexString()),
  );
  const failure = results.find((result) => result instanceof Error);
  if (failure) throw failure;
  return connection;
}

/** GraphQL resolvers of the documents subgraph: they check who asks and delegate to the domain. */
export const documentResolvers: Resolvers = {
  DateTime: DateTimeScalar,
  Query: {
    document: async (_parent, { id }, ctx) => viewed(await loadReadableDocument(id, ctx), ctx),
    documents: (_parent, { first, after, filter, orderBy }, ctx) =>
      viewedPage(
        ctx.domain.listDocuments(requireIdentity(ctx.caller), filter, { first, after }, orderBy),
        ctx,
      ),
  },
  Mutation: {
    createDocument: (_parent, { input }, ctx) =>
      ctx.domain.createDocument(requireIdentity(ctx.caller), input, ctx.idempotencyKey),
    updateDocument: (_parent, { input }, ctx) =>
      ctx.domain.updateDocument(requireIdentity(ctx.caller), input),
    shareDocument: (_parent, { input }, ctx) =>
      ctx.domain.shareDocument(requireIdentity(ctx.caller), input),
    unshareDocument: (_parent, { input }, ctx) =>
      ctx.domain.unshareDocument(requireIdentity(ctx.caller), input),
    deleteDocument: (_parent, { id }, ctx) =>
      ctx.domain.deleteDocument(requireIdentity(ctx.caller), id),
    createDocumentUpload: (_parent, { input }, ctx) =>
      ctx.files.createUpload(requireIdentity(ctx.caller), input, ctx.origin),
    completeDocumentUpload: (_parent, { input }, ctx) =>
      ctx.files.completeUpload(requireIdentity(ctx.caller), input.documentId),
  },
  Document: {
    // The same visibility holds when another subgraph's entity points here, and it is a read.
    __resolveReference: async (reference, ctx) =>
      viewed(await loadReadableDocument(reference.id, ctx), ctx),
    id: (document) => document._id.toHexString(),
    // An uploaded document's link stays the same across versions; the gateway redirects it.
    fileUrl: (document, _args, ctx) =>
      document.fileUrl ?? `${ctx.origin}/files/documents/${document._id.toHexString()}`,
    file: (document) => document.files?.at(-1) ?? null,
    versions: (document) => [...(document.files ?? [])].reverse(),
    downloadUrl: (document, _args, ctx) =>
      ctx.files.downloadUrl(requireIdentity(ctx.caller), document, ctx.origin),
    owner: (document) => userReference(document.ownerId),
    project: (document) => (document.projectId ? projectReference(document.projectId) : null),
    sharedWith: (document) => document.sharedWithIds.map(userReference),
    accessLog: (document, { first, after }, ctx) =>
      ctx.domain.accessLog(requireIdentity(ctx.caller), document, { first, after }),
  },
  DocumentFile: {
    uploadedBy: (file) => userReference(file.uploadedById),
  },
  AccessLog: {
    id: (entry) => entry._id.toHexString(),
    user: (entry) => userReference(entry.userId),
    // Reached only through Document.accessLog, whose document the caller may change: the same one.
    document: (entry, _args, ctx) => loadReadableDocument(entry.documentId.toHexString(), ctx),
    accessTime: (entry) => entry.createdAt,
  },
  Project: {
    // The projects subgraph owns projects and checks who may see one; here a reference is its id.
    // Who may read the project reads all its documents; anyone else those they own or share.
    __resolveReference: (reference, ctx) => {
      requireIdentity(ctx.caller);
      return { id: reference.id };
    },
    documents: async (project, { first, after }, ctx) => {
      const caller = requireIdentity(ctx.caller);
      const access = await ctx.loaders.projectAccess.load(project.id);
      return viewedPage(
        ctx.domain.projectDocuments(caller, project.id, access, { first, after }),
        ctx,
      );
    },
  },
  User: {
    // The users subgraph owns users: here a reference is its id, and the fields below build on it.
    __resolveReference: (reference, ctx) => {
      requireIdentity(ctx.caller);
      return { id: reference.id };
    },
    documents: (user, { first, after }, ctx) =>
      viewedPage(
        ctx.domain.userDocuments(requireIdentity(ctx.caller), user.id, { first, after }),
        ctx,
      ),
  },
};
