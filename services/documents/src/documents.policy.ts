/**
 * Who may do what in the documents service: every rule of the service, in one place. The
 * resolvers and the domain call these; the `@auth` directives in schema.graphql only let the
 * gateway refuse what the token alone rules out. Project membership comes from the service's
 * read model of project access (ADR 0004).
 *
 * | action                                                  | who                                 |
 * |---------------------------------------------------------|-------------------------------------|
 * | read a document (each read records a VIEW)              | its owner, admins, users it is      |
 * |                                                         | shared with, and for a project's    |
 * |                                                         | document whoever reads the project  |
 * | add a document to a project                             | the project's readers but CLIENTs   |
 * | change, share, unshare, delete it; read its access log; | its owner and admins                |
 * | upload a new version of its file                        |                                     |
 * | read a document whose first upload is not completed     | its owner only (no list shows it)   |
 * | download its file (a signed link, 5 minutes)            | whoever reads it                    |
 *
 * A document the caller may not read is NOT_FOUND (never revealing that it exists); one they read
 * but may not change is FORBIDDEN.
 */
import {
  callerObjectId,
  canReadProject,
  ForbiddenError,
  NotFoundError,
  readsEveryProject,
  type Identity,
  type ProjectAccessRecord,
} from '@psa/shared';
import { trusted, type QueryFilter, type Types } from 'mongoose';
import type { DocumentRecord } from './models/document.model';

/**
 * May `caller` read `document`? `access` is the document's project's access record (null when it
 * has none or it is unknown).
 */
export function canReadDocument(
  caller: Identity,
  document: DocumentRecord,
  access: ProjectAccessRecord | null,
): boolean {
  const userId = caller.userId.toLowerCase();
  if (document.pending) return document.ownerId.toHexString() === userId;
  return (
    readsEveryDocument(caller) ||
    document.ownerId.toHexString() === userId ||
    document.sharedWithIds.some((id) => id.toHexString() === userId) ||
    (document.projectId !== null &&
      access !== null &&
      access._id.equals(document.projectId) &&
      canReadProject(caller, access))
  );
}

/** `document` when `caller` may read it ({@link canReadDocument}); NOT_FOUND otherwise. */
export function readableDocument(
  caller: Identity,
  document: DocumentRecord | null,
  access: ProjectAccessRecord | null,
): DocumentRecord {
  if (document && canReadDocument(caller, document, access)) return document;
  throw new NotFoundError('Document not found');
}

/** Does `caller` read every document (admins, as they read every project)? */
export function readsEveryDocument(caller: Identity): boolean {
  return readsEveryProject(caller);
}

/** Who may change, share, delete a document and read its access log: its owner or an admin. */
export function canChangeDocument(caller: Identity, document: DocumentRecord): boolean {
  return (
    readsEveryDocument(caller) || document.ownerId.toHexString() === caller.userId.toLowerCase()
  );
}

/** FORBIDDEN unless `caller` may change `document` ({@link canChangeDocument}). */
export function assertMayChangeDocument(caller: Identity, document: DocumentRecord): void {
  if (!canChangeDocument(caller, document)) {
    throw new ForbiddenError("Only the document's owner or an admin can do this");
  }
}

/** FORBIDDEN unless `caller` may read `document`'s access log ({@link canChangeDocument}). */
export function assertMayReadAccessLog(caller: Identity, document: DocumentRecord): void {
  if (!canChangeDocument(caller, document)) {
    throw new ForbiddenError("Only the document's owner or an admin can read its access log");
  }
}

/**
 * NOT_FOUND unless `caller` may read the project (`access`, null when unknown), FORBIDDEN when
 * they are a CLIENT (read-only).
 */
export function assertMayAddDocument(caller: Identity, access: ProjectAccessRecord | null): void {
  if (!canReadProject(caller, access)) throw new NotFoundError('Project not found');
  if (caller.role === 'CLIENT') {
    throw new ForbiddenError('Clients are read-only: they cannot add documents to a project');
  }
}

/** What lists show: not documents whose first upload is not completed. */
export const listedDocuments: QueryFilter<DocumentRecord> = { pending: trusted({ $ne: true }) };

/** Documents `userId` owns or that are shared with them. */
export const ownedOrSharedWith = (userId: Types.ObjectId): QueryFilter<DocumentRecord> => ({
  $or: [{ ownerId: userId }, { sharedWithIds: userId }],
});

/**
 * What someone who does not read every document may list: those `userId` owns, that are shared
 * with them, or that belong to one of `projectIds` (the projects they read).
 */
export const listableDocuments = (
  userId: Types.ObjectId,
  projectIds: Types.ObjectId[],
): QueryFilter<DocumentRecord> =>
  projectIds.length === 0
    ? ownedOrSharedWith(userId)
    : {
        $or: [
          { ownerId: userId },
          { sharedWithIds: userId },
          { projectId: trusted({ $in: projectIds }) },
        ],
      };

/**
 * Which of project `projectId`'s documents `caller` sees: all when they read the project
 * (`access`, null when unknown) or every document, else those they own or that are shared with
 * them.
 */
export function projectDocumentsVisibleTo(
  caller: Identity,
  projectId: Types.ObjectId,
  access: ProjectAccessRecord | null,
): QueryFilter<DocumentRecord> {
  const wholeProject =
    access !== null && access._id.equals(projectId) && canReadProject(caller, access);
  if (wholeProject || readsEveryDocument(caller)) return {};
  return ownedOrSharedWith(callerObjectId(caller));
}
