import {
  BadUserInputError,
  callerObjectId,
  ForbiddenError,
  NotFoundError,
  optionalId,
  paginate,
  requiredId,
  requiredText,
  toObjectId,
  type Connection,
  type ConnectionArgs,
  type Identity,
  allOf,
  emptyConnection,
  escapeRegex,
} from '@psa/shared';
import { trusted, type QueryFilter, type Types } from 'mongoose';
import type { AccessAction, AccessLogModel, AccessLogRecord } from './models/access-log.model';
import type { DocumentModel, DocumentRecord } from './models/document.model';

const TITLE_MAX = 300;
// Browsers and proxies commonly stop at about 2 KB; longer values are not links people share.
const FILE_URL_MAX = 2_048;
const SEARCH_MAX = 100;

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

/** Who may read a document: its owner, an admin or a user it is shared with. */
export function canReadDocument(caller: Identity, document: DocumentRecord): boolean {
  const userId = caller.userId.toLowerCase();
  return (
    caller.role === 'ADMIN' ||
    document.ownerId.toHexString() === userId ||
    document.sharedWithIds.some((id) => id.toHexString() === userId)
  );
}

/** Who may change, share, delete a document and read its access log: its owner or an admin. */
export function canChangeDocument(caller: Identity, document: DocumentRecord): boolean {
  return caller.role === 'ADMIN' || document.ownerId.toHexString() === caller.userId.toLowerCase();
}

/** Documents `userId` owns or that are shared with them. */
const readableBy = (userId: Types.ObjectId): QueryFilter<DocumentRecord> => ({
  $or: [{ ownerId: userId }, { sharedWithIds: userId }],
});

/** The documents service's rules, apart from GraphQL. Every input is validated before anything is written. */
export class DocumentsDomain {
  constructor(
    private readonly documents: DocumentModel,
    private readonly accessLogs: AccessLogModel,
    private readonly rules: DocumentsRules,
  ) {}

  /** Creates a document owned by `caller`, shared with no one. Throws BAD_USER_INPUT naming the field. */
  async createDocument(caller: Identity, input: CreateDocumentInput): Promise<DocumentRecord> {
    const title = requiredText(input.title, 'input.title', TITLE_MAX);
    const fileUrl = checkFileUrl(input.fileUrl, this.rules.allowHttpUrls);
    const projectId = optionalId(input.projectId, 'input.projectId');
    const created = await this.documents.create({
      title,
      fileUrl,
      ownerId: callerObjectId(caller),
      projectId,
      sharedWithIds: [],
    });
    return created.toObject<DocumentRecord>();
  }

  /**
   * `document` when `caller` may read it. Throws NOT_FOUND when it is missing or hidden, so a
   * document one may not see is indistinguishable from one that does not exist.
   */
  visibleDocument(caller: Identity, document: DocumentRecord | null): DocumentRecord {
    if (document && canReadDocument(caller, document)) return document;
    throw new NotFoundError('Document not found');
  }

  /**
   * The documents `caller` may read matching `filter`, in the stable order. Throws BAD_USER_INPUT
   * for a malformed `filter.projectId`, a `filter.search` over 100 characters, or bad paging.
   */
  listDocuments(
    caller: Identity,
    filter: DocumentFilter | null | undefined,
    args: ConnectionArgs,
  ): Promise<Connection<DocumentRecord>> {
    const conditions: QueryFilter<DocumentRecord>[] = [this.visibleTo(caller)];
    if (filter?.projectId !== null && filter?.projectId !== undefined) {
      conditions.push({ projectId: requiredId(filter.projectId, 'filter.projectId') });
    }
    const search = filter?.search?.trim();
    if (search) {
      if ([...search].length > SEARCH_MAX) {
        throw new BadUserInputError(
          `search must be at most ${SEARCH_MAX} characters`,
          'filter.search',
        );
      }
      conditions.push({ title: trusted(new RegExp(escapeRegex(search), 'i')) });
    }
    return paginate(this.documents, allOf(conditions), args);
  }

  /**
   * Documents `userId` owns or that are shared with them, limited to those `caller` may read. An
   * id that names no user has none.
   */
  userDocuments(
    caller: Identity,
    userId: string,
    args: ConnectionArgs,
  ): Promise<Connection<DocumentRecord>> {
    const user = toObjectId(userId);
    if (!user) return Promise.resolve(emptyConnection(args));
    return paginate(this.documents, allOf([readableBy(user), this.visibleTo(caller)]), args);
  }

  /**
   * A project's documents, limited to those `caller` may read. An id that names no project has
   * none.
   */
  projectDocuments(
    caller: Identity,
    projectId: string,
    args: ConnectionArgs,
  ): Promise<Connection<DocumentRecord>> {
    const project = toObjectId(projectId);
    if (!project) return Promise.resolve(emptyConnection(args));
    return paginate(this.documents, allOf([{ projectId: project }, this.visibleTo(caller)]), args);
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
    return updated;
  }

  /** Deletes a document (owner or admin). Its access log stays, ending with the DELETE entry. */
  async deleteDocument(caller: Identity, rawId: string): Promise<boolean> {
    const id = requiredId(rawId, 'id');
    await this.changeableDocument(caller, id);
    const { deletedCount } = await this.documents.deleteOne({ _id: id }).exec();
    if (deletedCount === 0) throw new NotFoundError('Document not found');
    await this.record(caller, [id], 'DELETE');
    return true;
  }

  /** A page of a document's access log (owner or admin; FORBIDDEN for anyone else). */
  accessLog(
    caller: Identity,
    document: DocumentRecord,
    args: ConnectionArgs,
  ): Promise<Connection<AccessLogRecord>> {
    if (!canChangeDocument(caller, document)) {
      throw new ForbiddenError("Only the document's owner or an admin can read its access log");
    }
    return paginate(this.accessLogs, { documentId: document._id }, args);
  }

  /** Appends one `action` entry by `caller` per document, in one insert. */
  async record(caller: Identity, documentIds: Types.ObjectId[], action: AccessAction) {
    if (documentIds.length === 0) return;
    const userId = callerObjectId(caller);
    await this.accessLogs.insertMany(
      documentIds.map((documentId) => ({ documentId, userId, action })),
    );
  }

  /** What a non-admin may list: the documents they own or that are shared with them. */
  private visibleTo(caller: Identity): QueryFilter<DocumentRecord> {
    return caller.role === 'ADMIN' ? {} : readableBy(callerObjectId(caller));
  }

  /** The document, when `caller` may change it: NOT_FOUND when they may not read it, else FORBIDDEN. */
  private async changeableDocument(caller: Identity, id: Types.ObjectId): Promise<DocumentRecord> {
    const document = this.visibleDocument(
      caller,
      await this.documents.findById(id).lean<DocumentRecord>().exec(),
    );
    if (!canChangeDocument(caller, document)) {
      throw new ForbiddenError("Only the document's owner or an admin can do this");
    }
    return document;
  }

  // The document may have been deleted since it was checked: then it is NOT_FOUND, not recreated.
  private async updated(
    id: Types.ObjectId,
    update: Record<string, unknown>,
  ): Promise<DocumentRecord> {
    const document = await this.documents
      .findOneAndUpdate({ _id: id }, update, { returnDocument: 'after' })
      .lean<DocumentRecord>()
      .exec();
    if (!document) throw new NotFoundError('Document not found');
    return document;
  }
}
