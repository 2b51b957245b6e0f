import { createHash, randomBytes } from 'node:crypto';
import { trusted, Types } from 'mongoose';
import {
  BadUserInputError,
  documentCreated,
  callerObjectId,
  ConflictError,
  NotFoundError,
  optionalId,
  requiredId,
  requiredText,
  toObjectId,
  type Identity,
  type Logger,
  type ProjectAccess,
} from '@psa/shared';
import type { DocumentsDomain } from '../documents-domain';
import type {
  DocumentModel,
  DocumentRecord,
  DocumentUploadRecord,
  FileVersionRecord,
  PendingUploadRecord,
} from '../models/document.model';
import {
  ALLOWED_CONTENT_TYPES,
  allowedContentType,
  contentMismatch,
  SNIFF_BYTES,
} from './content-types';
import type { FileStore, PublicOrigin } from './file-store';

/** How long an upload URL works. */
export const UPLOAD_URL_TTL_MS = 15 * 60 * 1000;
/** How long a download URL works. */
export const DOWNLOAD_URL_TTL_MS = 5 * 60 * 1000;
/** Uploads not completed this long after they were created are purged. */
export const UPLOAD_PURGE_AGE_MS = 24 * 60 * 60 * 1000;

const TITLE_MAX = 300;
const FILE_NAME_MAX = 255;
// Control characters and path separators have no business in a file name a browser saves.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const FILE_NAME_FORBIDDEN = /[\u0000-\u001f\u007f/\\]/;
const SHA256 = /^[0-9a-f]{64}$/i;

export interface CreateDocumentUploadInput {
  documentId?: string | null;
  projectId?: string | null;
  title?: string | null;
  fileName: string;
  contentType: string;
  size: number;
  sha256?: string | null;
}

export interface FileRules {
  maxUploadBytes: number;
}

/** A completion check that failed: which one, and what it found. */
interface Refusal {
  check: 'upload' | 'size' | 'contentType' | 'sha256';
  message: string;
}

/** The SHA-256 (hex) of a stream, read once, never held whole. */
async function sha256Of(body: NodeJS.ReadableStream): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of body) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** A fresh key in the file store for a file of document `id` (unguessable, never reused). */
const newKey = (id: Types.ObjectId): string =>
  `documents/${id.toHexString()}/${randomBytes(16).toString('hex')}`;

/**
 * Uploaded files of documents: starting and completing uploads (with every check), download
 * links, and the purge of uploads never completed. Who may do what is the documents policy's,
 * reached through {@link DocumentsDomain}; the bytes are the {@link FileStore}'s.
 */
export class DocumentFiles {
  constructor(
    private readonly documents: DocumentModel,
    private readonly store: FileStore,
    private readonly domain: DocumentsDomain,
    private readonly access: ProjectAccess,
    private readonly rules: FileRules,
    private readonly logger: Logger,
  ) {}

  /**
   * Starts an upload: a first one makes a pending document (in `projectId` when given), a new
   * version (`documentId`) keeps the document as it is until completion. Throws BAD_USER_INPUT
   * naming the field, NOT_FOUND / FORBIDDEN as the policy says. A new upload replaces one the
   * document had pending (its bytes are deleted).
   */
  async createUpload(
    caller: Identity,
    input: CreateDocumentUploadInput,
    origin: PublicOrigin,
  ): Promise<DocumentUploadRecord> {
    const fileName = requiredText(input.fileName, 'input.fileName', FILE_NAME_MAX);
    if (FILE_NAME_FORBIDDEN.test(fileName)) {
      throw new BadUserInputError(
        'fileName must not contain control characters or slashes',
        'input.fileName',
      );
    }
    const contentType = allowedContentType(input.contentType);
    if (!contentType) {
      throw new BadUserInputError(
        `contentType must be one of ${ALLOWED_CONTENT_TYPES.join(', ')}`,
        'input.contentType',
      );
    }
    if (!Number.isInteger(input.size) || input.size < 1 || input.size > this.rules.maxUploadBytes) {
      throw new BadUserInputError(
        `size must be 1 to ${this.rules.maxUploadBytes} bytes`,
        'input.size',
      );
    }
    let sha256 = '';
    if (input.sha256 !== null && input.sha256 !== undefined) {
      if (!SHA256.test(input.sha256)) {
        throw new BadUserInputError('sha256 must be 64 hexadecimal digits', 'input.sha256');
      }
      sha256 = input.sha256.toLowerCase();
    }
    const title =
      input.title === null || input.title === undefined
        ? ''
        : requiredText(input.title, 'input.title', TITLE_MAX);
    if (input.documentId != null && input.projectId != null) {
      throw new BadUserInputError(
        'Give documentId (a new version) or projectId (a new document), not both',
        'input.projectId',
      );
    }
    const createdAt = new Date();
    const expiresAt = new Date(createdAt.getTime() + UPLOAD_URL_TTL_MS);
    const pending = (id: Types.ObjectId): PendingUploadRecord => ({
      key: newKey(id),
      name: fileName,
      contentType,
      size: input.size,
      sha256,
      title,
      uploadedById: callerObjectId(caller),
      createdAt,
    });

    let document: DocumentRecord;
    let upload: PendingUploadRecord;
    if (input.documentId != null) {
      const id = requiredId(input.documentId, 'input.documentId');
      const current = await this.domain.changeableDocument(caller, id);
      if (current.fileUrl !== undefined) {
        throw new BadUserInputError(
          'This document links to a file elsewhere (fileUrl): it has no uploaded versions',
          'input.documentId',
        );
      }
      upload = pending(id);
      const updated = await this.documents
        .findOneAndUpdate({ _id: id }, { $set: { upload } }, { returnDocument: 'after' })
        .lean<DocumentRecord>()
        .exec();
      if (!updated) throw new NotFoundError('Document not found');
      document = updated;
      if (current.upload) await this.store.delete([current.upload.key]);
    } else {
      const projectId = optionalId(input.projectId, 'input.projectId');
      if (projectId) await this.domain.checkCanAddTo(caller, projectId);
      const id = new Types.ObjectId();
      upload = pending(id);
      const created = await this.documents.create({
        _id: id,
        title: title || fileName,
        ownerId: callerObjectId(caller),
        projectId,
        sharedWithIds: [],
        pending: true,
        files: [],
        upload,
      });
      document = created.toObject<DocumentRecord>();
      if (projectId && (await this.access.find(projectId))?.deleted) {
        // The project was deleted while the document was written, after its cascade ran.
        await this.documents.deleteOne({ _id: id }).exec();
        throw new NotFoundError('Project not found');
      }
    }
    const signed = await this.store.signUpload(
      { key: upload.key, contentType, size: input.size, expiresAt },
      origin,
    );
    return {
      document,
      uploadUrl: signed.url,
      uploadMethod: signed.method,
      uploadHeaders: signed.headers,
      expiresAt: signed.expiresAt,
    };
  }

  /**
   * Verifies the pending upload of document `rawId` and makes it the current version (a new
   * version records an UPDATE). When a check fails: BAD_USER_INPUT saying which (`field` names
   * it: size, contentType, sha256, or documentId when nothing arrived), the bytes are deleted, a
   * first upload's document is removed, and a new version's document keeps its file.
   */
  async completeUpload(caller: Identity, rawId: string): Promise<DocumentRecord> {
    const id = requiredId(rawId, 'input.documentId');
    const document = await this.domain.changeableDocument(caller, id);
    const upload = document.upload;
    if (!upload) {
      throw new BadUserInputError(
        'This document has no upload to complete (createDocumentUpload starts one)',
        'input.documentId',
      );
    }
    const verified = await this.verify(upload);
    if ('check' in verified) {
      await this.discard(document, upload);
      throw new BadUserInputError(
        `The upload failed its ${verified.check} check: ${verified.message}`,
        verified.check === 'upload' ? 'input.documentId' : verified.check,
      );
    }
    const file: FileVersionRecord = {
      version: (document.files?.length ?? 0) + 1,
      key: upload.key,
      name: upload.name,
      contentType: upload.contentType,
      size: upload.size,
      sha256: verified.sha256,
      uploadedById: upload.uploadedById,
      uploadedAt: new Date(),
    };
    const completed = await this.documents
      .findOneAndUpdate(
        { _id: id, 'upload.key': upload.key },
        {
          $push: { files: file },
          $set: { pending: false, ...(upload.title ? { title: upload.title } : {}) },
          $unset: { upload: 1 },
        },
        { returnDocument: 'after' },
      )
      .lean<DocumentRecord>()
      .exec();
    if (!completed) {
      throw new ConflictError('The upload was replaced or purged meanwhile', 'input.documentId');
    }
    if (file.version > 1) await this.domain.record(caller, [id], 'UPDATE');
    // Only now is a first upload's document there for the people who may read it.
    if (document.pending) await this.domain.announceDocument(documentCreated, completed, caller);
    return completed;
  }

  /**
   * A signed link to `document`'s current version for `caller` (who reads it), or null for a
   * linked document. A store whose links go straight to it records the DOWNLOAD now.
   */
  async downloadUrl(
    caller: Identity,
    document: DocumentRecord,
    origin: PublicOrigin,
  ): Promise<string | null> {
    const file = document.files?.at(-1);
    if (!file) return null;
    const signed = await this.store.signDownload(
      {
        key: file.key,
        contentType: file.contentType,
        fileName: file.name,
        size: file.size,
        sha256: file.sha256,
        documentId: document._id.toHexString(),
        userId: caller.userId.toLowerCase(),
        expiresAt: new Date(Date.now() + DOWNLOAD_URL_TTL_MS),
      },
      origin,
    );
    if (!this.store.servesOwnUrls) await this.domain.record(caller, [document._id], 'DOWNLOAD');
    return signed.url;
  }

  /** Whether an upload to `key` is expected (handed out, neither completed, replaced nor purged). */
  async expectsUpload(key: string): Promise<boolean> {
    return (await this.documents.exists({ 'upload.key': key })) !== null;
  }

  /** Records a DOWNLOAD through a signed link (of a document that still exists). */
  async downloaded(documentId: string, userId: string): Promise<void> {
    const document = toObjectId(documentId);
    const user = toObjectId(userId);
    if (!document || !user) return;
    await this.domain.recordFor(user, [document], 'DOWNLOAD');
  }

  /**
   * Purges uploads created before `now` minus 24 hours and never completed: their bytes, and a
   * first upload's document. Resolves to how many were purged.
   */
  async purgeStaleUploads(now = new Date()): Promise<number> {
    const cutoff = new Date(now.getTime() - UPLOAD_PURGE_AGE_MS);
    const stale = await this.documents
      .find({ 'upload.createdAt': trusted({ $lt: cutoff }) })
      .lean<DocumentRecord[]>()
      .exec();
    for (const document of stale) {
      if (document.upload) await this.discard(document, document.upload);
    }
    if (stale.length > 0) this.logger.info({ purged: stale.length }, 'stale uploads purged');
    return stale.length;
  }

  /** The checks of a completed upload, cheapest first; the SHA-256 of what arrived when all pass. */
  private async verify(upload: PendingUploadRecord): Promise<Refusal | { sha256: string }> {
    const stored = await this.store.head(upload.key, SNIFF_BYTES);
    if (!stored) {
      return { check: 'upload', message: 'no bytes arrived (send the file to uploadUrl first)' };
    }
    if (stored.size !== upload.size) {
      return {
        check: 'size',
        message: `${stored.size} bytes arrived, ${upload.size} were declared`,
      };
    }
    const mismatch = await contentMismatch(upload.contentType, stored.head);
    if (mismatch) return { check: 'contentType', message: mismatch };
    const body = await this.store.get(upload.key);
    if (!body) return { check: 'upload', message: 'the bytes are gone' };
    const sha256 = await sha256Of(body);
    if (upload.sha256 && sha256 !== upload.sha256) {
      return {
        check: 'sha256',
        message: `the bytes' SHA-256 is ${sha256}, ${upload.sha256} was declared`,
      };
    }
    return { sha256 };
  }

  /**
   * Drops `upload` of `document`: its bytes, and the document itself when this was its first
   * upload; a document with versions keeps them. Only while the upload is still the pending one.
   * The bytes go first: a crash in between leaves the record, whose next purge finishes the job,
   * never bytes no record points to (and a document no one can read any more has no bytes left).
   */
  private async discard(document: DocumentRecord, upload: PendingUploadRecord): Promise<void> {
    const condition = { _id: document._id, 'upload.key': upload.key };
    await this.store.delete([upload.key]);
    if (document.pending) await this.documents.deleteOne({ ...condition, pending: true }).exec();
    else await this.documents.updateOne(condition, { $unset: { upload: 1 } }).exec();
  }
}
