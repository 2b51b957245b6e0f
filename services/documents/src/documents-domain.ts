import {
  announce,
  documentCreated,
  documentDeleted,
  documentShared,
  documentUnshared,
  BadUserInputError,
  callerObjectId,
  createOnce,
  creationKey,
  NotFoundError,
  optionalId,
  assertUnorderedSearch,
  paginate,
  paginateByName,
  paginateSearch,
  requiredId,
  requiredText,
  toObjectId,
  type Connection,
  type ConnectionArgs,
  type Identity,
  type Outbox,
  allOf,
  emptyConnection,
  textSearch,
  updatedOrNotFound,
  type ProjectAccess,
  type ProjectAccessRecord,
  type ProjectAccessSnapshot,
} from '@psa/shared';
import type { QueryFilter, Types } from 'mongoose';
import type { AccessAction, AccessLogModel, AccessLogRecord } from './models/access-log.model';
import type { DocumentModel, DocumentRecord } from './models/document.model';
import type { FileStore } from './files/file-store';
import {
  assertMayAddDocument,
  assertMayChangeDocument,
  assertMayReadAccessLog,
  listableDocuments,
  listedDocuments,
  ownedOrSharedWith,
  projectDocumentsVisibleTo,
  readableDocument,
  readsEveryDocument,
} from './documents.policy';

const TITLE_MAX = 300;
// Browsers and proxies commonly stop at about 2 KB; longer values are not links people share.
const FILE_URL_MAX = 2_048;

export interface CreateDocumentInput {
  title: string;
  fileUrl: string;
  projectId?: string | null;
}

/** Absent fields are left alone. */
export interface UpdateDocumentInput {
  id: string;
  title?: string | null;
  fileUrl?: string | null;
}

/** The orders of documents(orderBy). */
export type DocumentOrder = 'CREATED_AT' | 'TITLE';

export interface DocumentFilter {
  projectId?: string | null;
  search?: string | null;
}

export interface ShareInput {
  documentId: string;
  userId: string;
}

export interface DocumentsRules {
  /** Whether `http:` file URLs are accepted besides `https:` (development and tests only). */
  allowHttpUrls: boolean;
}

function checkFileUrl(raw: string, allowHttp: boolean): string {
  const fileUrl = raw.trim();
  const allowed = allowHttp ? 'an https: or http: URL' : 'an https: URL';
  if (fileUrl.length > FILE_URL_MAX) {
    throw new BadUserInputError(
      `fileUrl must be at most ${FILE_URL_MAX} characters`,
      'input.fileUrl',
    );
  }
  let url: URL;
  try {
    url = new URL(fileUrl);
  } catch {
    throw new BadUserInputError(`fileUrl must be ${allowed}`, 'input.fileUrl');
  }
  if (url.protocol === 'https:' || (allowHttp && url.protocol === 'http:')) return fileUrl;
  throw new BadUserInputError(`fileUrl must be ${allowed}`, 'input.fileUrl');
}

/** The documents service's rules, apart from GraphQL. Every input is validated before anything is written. */
export class DocumentsDomain {
  /**
   * @param access the read model of who may see each project, kept from the projects service's
   *   `project.access-changed` events (see {@link applyProjectAccess})
   */
  constructor(
    private readonly documents: DocumentModel,
    private readonly accessLogs: AccessLogModel,
    private readonly access: ProjectAccess,
    private readonly rules: DocumentsRules,
    /** Announces shares to other services (`document.shared`). */
    private readonly outbox: Outbox,
    private readonly store: FileStore,
  ) {}

  /**
   * Creates a document owned by `caller`, shared with no one. Throws BAD_USER_INPUT naming the
   * field; with a `projectId`, NOT_FOUND when the caller may not read that project and FORBIDDEN
   * for a CLIENT (clients are read-only).
   */
  async createDocument(
    caller: Identity,
    input: CreateDocumentInput,
    idempotencyKey: string | null = null,
  ): Promise<DocumentRecord> {
    const title = requiredText(input.title, 'input.title', TITLE_MAX);
    const fileUrl = checkFileUrl(input.fileUrl, this.rules.allowHttpUrls);
    const projectId = optionalId(input.projectId, 'input.projectId');
    if (projectId) await this.checkCanAddTo(caller, projectId);
    const key = creationKey(caller, idempotencyKey);
    const { record, created } = await createOnce(this.documents, key, async () => {
      const document = await this.documents.create({
        title,
        fileUrl,
        ownerId: callerObjectId(caller),
        projectId,
        sharedWithIds: [],
        creationKey: key,
      });
      return document.toObject<DocumentRecord>();
    });
    if (created && projectId && (await this.access.find(projectId))?.deleted) {
      // The project was deleted while the document was written, after its cascade ran: take it back.
      await this.documents.deleteOne({ _id: record._id }).exec();
      throw new NotFoundError('Project not found');
    }
    // A retry of a create that happened: announced the first time.
    if (created) await this.announceDocument(documentCreated, record, caller);
    return record;
  }

  /**
   * Tells other services that `document` was created (a linked one when made, an uploaded one
   * when its first upload completes) or deleted. A pending first upload is neither: its document
   * exists for its owner alone until it completes.
   */
  async announceDocument(
    kind: typeof documentCreated | typeof documentDeleted,
    document: DocumentRecord,
    caller: Identity,
  ): Promise<void> {
    await announce(this.outbox, kind, {
      documentId: document._id.toHexString(),
      projectId: document.projectId?.toHexString() ?? null,
      title: document.title,
      ownerId: document.ownerId.toHexString(),
      uploaded: document.fileUrl === undefined,
      actorId: callerObjectId(caller).toHexString(),
    });
  }

  /**
   * Keeps a `project.access-changed` snapshot in the read model (an older or redelivered one
   * changes nothing) and, when the project as it now stands is deleted, deletes its documents
   * and then their files. Their access logs stay, as {@link deleteDocument} leaves them. Safe to
   * run again.
   */
  async applyProjectAccess(snapshot: ProjectAccessSnapshot): Promise<void> {
    const current = await this.access.apply(snapshot);
    if (!current.deleted) return;
    const doomed = await this.documents
      .find({ projectId: current._id }, { files: 1, upload: 1 })
      .lean<DocumentRecord[]>()
      .exec();
    await this.documents.deleteMany({ projectId: current._id }).exec();
    await this.store.delete(doomed.flatMap(fileKeysOf));
  }

  /**
   * The documents `caller` may read matching `filter`, in the stable order or by title
   * (`orderBy`). Throws BAD_USER_INPUT for a malformed `filter.projectId`, a `filter.search` over
   * 100 characters or with an `orderBy`, or bad paging.
   */
  async listDocuments(
    caller: Identity,
    filter: DocumentFilter | null | undefined,
    args: ConnectionArgs,
    orderBy?: DocumentOrder | null,
  ): Promise<Connection<DocumentRecord>> {
    const conditions: QueryFilter<DocumentRecord>[] = [];
    if (filter?.projectId !== null && filter?.projectId !== undefined) {
      conditions.push({ projectId: requiredId(filter.projectId, 'filter.projectId') });
    }
    const search = textSearch(filter?.search);
    assertUnorderedSearch(search, orderBy);
    conditions.unshift(await this.visibleTo(caller), listedDocuments);
    if (search) return paginateSearch(this.documents, allOf(conditions), search, args);
    if (orderBy === 'TITLE') {
      return paginateByName(this.documents, allOf(conditions), 'title', args);
    }
    return paginate(this.documents, allOf(conditions), args);
  }

  /**
   * Documents `userId` owns or that are shared with them, limited to those `caller` may read. An
   * id that names no user has none.
   */
  async userDocuments(
    caller: Identity,
    userId: string,
    args: ConnectionArgs,
  ): Promise<Connection<DocumentRecord>> {
    const user = toObjectId(userId);
    if (!user) return emptyConnection(args);
    return paginate(
      this.documents,
      allOf([ownedOrSharedWith(user), await this.visibleTo(caller), listedDocuments]),
      args,
    );
  }

  /**
   * A project's documents: all of them when `caller` may read the project (`access` is its access
   * record, null when unknown), else those they own or that are shared with them. An id that names
   * no project has none.
   */
  async projectDocuments(
    caller: Identity,
    projectId: string,
    access: ProjectAccessRecord | null,
    args: ConnectionArgs,
  ): Promise<Connection<DocumentRecord>> {
    const project = toObjectId(projectId);
    if (!project) return emptyConnection(args);
    const visible = projectDocumentsVisibleTo(caller, project, access);
    return paginate(
      this.documents,
      allOf([{ projectId: project }, visible, listedDocuments]),
      args,
    );
  }

  /** Changes a document's title or file URL (owner or admin); records an UPDATE when it changed. */
  async updateDocument(caller: Identity, input: UpdateDocumentInput): Promise<DocumentRecord> {
    const id = requiredId(input.id, 'input.id');
    const changes: Partial<Pick<DocumentRecord, 'title' | 'fileUrl'>> = {};
    if (input.title !== undefined) {
      if (input.title === null) throw new BadUserInputError('title cannot be null', 'input.title');
      changes.title = requiredText(input.title, 'input.title', TITLE_MAX);
    }
    if (input.fileUrl !== undefined) {
      if (input.fileUrl === null) {
        throw new BadUserInputError('fileUrl cannot be null', 'input.fileUrl');
      }
      changes.fileUrl = checkFileUrl(input.fileUrl, this.rules.allowHttpUrls);
    }
    const document = await this.changeableDocument(caller, id);
    if (changes.fileUrl !== undefined && document.fileUrl === undefined) {
      throw new BadUserInputError(
        "An uploaded document's file changes with a new upload (createDocumentUpload)",
        'input.fileUrl',
      );
    }
    if (Object.keys(changes).length === 0) return document;
    const updated = await this.updated(id, { $set: changes });
    await this.record(caller, [id], 'UPDATE');
    return updated;
  }

  /** Shares a document with a user (owner or admin). Sharing again, or with the owner, changes nothing. */
  async shareDocument(caller: Identity, input: ShareInput): Promise<DocumentRecord> {
    const id = requiredId(input.documentId, 'input.documentId');
    const userId = requiredId(input.userId, 'input.userId');
    const document = await this.changeableDocument(caller, id);
    if (document.ownerId.equals(userId) || document.sharedWithIds.some((u) => u.equals(userId))) {
      return document;
    }
    const updated = await this.updated(id, { $addToSet: { sharedWithIds: userId } });
    await this.record(caller, [id], 'SHARE');
    await announce(this.outbox, documentShared, {
      documentId: id.toHexString(),
      projectId: updated.projectId?.toHexString() ?? null,
      title: updated.title,
      userId: userId.toHexString(),
      actorId: callerObjectId(caller).toHexString(),
    });
    return updated;
  }

  /** Takes a share back (owner or admin). Unsharing a user it is not shared with changes nothing. */
  async unshareDocument(caller: Identity, input: ShareInput): Promise<DocumentRecord> {
    const id = requiredId(input.documentId, 'input.documentId');
    const userId = requiredId(input.userId, 'input.userId');
    const document = await this.changeableDocument(caller, id);
    if (!document.sharedWithIds.some((u) => u.equals(userId))) return document;
    const updated = await this.updated(id, { $pull: { sharedWithIds: userId } });
    await this.record(caller, [id], 'SHARE');
    await announce(this.outbox, documentUnshared, {
      documentId: id.toHexString(),
      projectId: updated.projectId?.toHexString() ?? null,
      userId: userId.toHexString(),
      actorId: callerObjectId(caller).toHexString(),
    });
    return updated;
  }

  /**
   * Deletes a document (owner or admin), then its files. Its access log stays, ending with the
   * DELETE entry.
   */
  async deleteDocument(caller: Identity, rawId: string): Promise<boolean> {
    const id = requiredId(rawId, 'id');
    await this.changeableDocument(caller, id);
    const deleted = await this.documents
      .findOneAndDelete({ _id: id })
      .lean<DocumentRecord>()
      .exec();
    if (!deleted) throw new NotFoundError('Document not found');
    await this.record(caller, [id], 'DELETE');
    await this.store.delete(fileKeysOf(deleted));
    if (!deleted.pending) await this.announceDocument(documentDeleted, deleted, caller);
    return true;
  }

  /** A page of a document's access log (owner or admin; FORBIDDEN for anyone else). */
  accessLog(
    caller: Identity,
    document: DocumentRecord,
    args: ConnectionArgs,
  ): Promise<Connection<AccessLogRecord>> {
    assertMayReadAccessLog(caller, document);
    return paginate(this.accessLogs, { documentId: document._id }, args);
  }

  /** Appends one `action` entry by `caller` per document, in one insert. */
  record(caller: Identity, documentIds: Types.ObjectId[], action: AccessAction): Promise<void> {
    return this.recordFor(callerObjectId(caller), documentIds, action);
  }

  /** Appends one `action` entry by user `userId` per document (a signed link's holder). */
  async recordFor(userId: Types.ObjectId, documentIds: Types.ObjectId[], action: AccessAction) {
    if (documentIds.length === 0) return;
    await this.accessLogs.insertMany(
      documentIds.map((documentId) => ({ documentId, userId, action })),
    );
  }

  /**
   * What a non-admin may list: the documents they own, that are shared with them, or that belong
   * to a project they manage or are on.
   */
  private async visibleTo(caller: Identity): Promise<QueryFilter<DocumentRecord>> {
    if (readsEveryDocument(caller)) return {};
    const userId = callerObjectId(caller);
    return listableDocuments(userId, await this.access.projectIdsOf(userId));
  }

  /** The policy's {@link assertMayAddDocument}, with the project's access record. */
  async checkCanAddTo(caller: Identity, projectId: Types.ObjectId): Promise<void> {
    assertMayAddDocument(caller, await this.access.find(projectId));
  }

  /** The document, when `caller` may change it: NOT_FOUND when they may not read it, else FORBIDDEN. */
  async changeableDocument(caller: Identity, id: Types.ObjectId): Promise<DocumentRecord> {
    const stored = await this.documents.findById(id).lean<DocumentRecord>().exec();
    const access = stored?.projectId ? await this.access.find(stored.projectId) : null;
    const document = readableDocument(caller, stored, access);
    assertMayChangeDocument(caller, document);
    return document;
  }

  // The document may have been deleted since it was checked: then it is NOT_FOUND, not recreated.
  private updated(id: Types.ObjectId, update: Record<string, unknown>): Promise<DocumentRecord> {
    return updatedOrNotFound(this.documents, { _id: id }, update, 'Document not found');
  }
}

/** Every key in the file store that holds bytes of `document` (its versions and a pending upload). */
export function fileKeysOf(document: Pick<DocumentRecord, 'files' | 'upload'>): string[] {
  return [
    ...(document.files ?? []).map((file) => file.key),
    ...(document.upload ? [document.upload.key] : []),
  ];
}
