import {
  BadUserInputError,
  callerObjectId,
  NotFoundError,
  optionalId,
  requiredText,
  type Identity,
} from '@psa/shared';
import type { DocumentModel, DocumentRecord } from './models/document.model';

const TITLE_MAX = 300;
// Browsers and proxies commonly stop at about 2 KB; longer values are not links people share.
const FILE_URL_MAX = 2_048;

export interface CreateDocumentInput {
  title: string;
  fileUrl: string;
  projectId?: string | null;
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

/** The documents service's rules, apart from GraphQL. Every input is validated before anything is written. */
export class DocumentsDomain {
  constructor(
    private readonly documents: DocumentModel,
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
}
