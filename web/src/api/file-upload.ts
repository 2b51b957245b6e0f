/**
 * Sending a file's bytes to the signed URL createDocumentUpload answered. XMLHttpRequest, not
 * fetch: only XHR reports upload progress. The URL may be the gateway's `/files/` (local store) or
 * a bucket (S3): neither wants the console's token, the URL is the credential.
 */
import type { ApiError } from './api-error';

export interface SignedUpload {
  uploadUrl: string;
  uploadMethod: string;
  uploadHeaders: readonly { name: string; value: string }[];
}

/** The content types the API takes, by extension, for files the browser gives no type. */
const TYPES_BY_EXTENSION: Record<string, string> = {
  pdf: 'application/pdf',
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  webp: 'image/webp',
  txt: 'text/plain',
  csv: 'text/csv',
  md: 'text/markdown',
  markdown: 'text/markdown',
  docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  pptx: 'application/vnd.openxmlformats-officedocument.presentationml.presentation',
  odt: 'application/vnd.oasis.opendocument.text',
  ods: 'application/vnd.oasis.opendocument.spreadsheet',
  odp: 'application/vnd.oasis.opendocument.presentation',
  zip: 'application/zip',
};

/** The extensions {@link contentTypeOf} knows (test/console-upload-types.test.ts checks them). */
export const CONSOLE_UPLOAD_EXTENSIONS: readonly string[] = Object.keys(TYPES_BY_EXTENSION);

/**
 * The type to declare for `file`: the browser's, else the one its extension names (browsers give
 * Markdown and some Office files no type). Unknown ones go as they are: the API says which it takes.
 */
export function contentTypeOf(file: { name: string; type: string }): string {
  if (file.type) return file.type;
  const extension = file.name.split('.').pop()?.toLowerCase() ?? '';
  return TYPES_BY_EXTENSION[extension] ?? 'application/octet-stream';
}

/**
 * The SHA-256 of `file` in hex, for the API to check on completion; undefined where the browser
 * has no WebCrypto (a page served over plain HTTP other than localhost), the check being optional.
 */
export async function sha256Of(file: Blob): Promise<string | undefined> {
  if (!globalThis.crypto?.subtle) return undefined;
  const digest = await crypto.subtle.digest('SHA-256', new Uint8Array(await file.arrayBuffer()));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}

/** Human sizes: 999 B, 1.5 KB, 12.3 MB (powers of 1024, as file managers show them). */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KB', 'MB', 'GB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}

/**
 * PUTs `file` to the signed URL with its headers, reporting progress as bytes sent. Rejects with
 * an ApiError: the store's own message when it sent one (the gateway answers GraphQL-style JSON,
 * a bucket XML), else the HTTP status.
 */
export function sendFile(
  target: SignedUpload,
  file: Blob,
  onProgress: (sent: number, total: number) => void,
  signal?: AbortSignal,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open(target.uploadMethod, target.uploadUrl);
    for (const header of target.uploadHeaders) xhr.setRequestHeader(header.name, header.value);
    xhr.upload.onprogress = (event) => {
      if (event.lengthComputable) onProgress(event.loaded, event.total);
    };
    xhr.onload = () => {
      if (xhr.status >= 200 && xhr.status < 300) {
        onProgress(file.size, file.size);
        resolve();
      } else {
        reject(uploadError(xhr.status, xhr.responseText));
      }
    };
    xhr.onerror = () =>
      reject({ code: 'NETWORK_ERROR', message: 'The upload was interrupted' } satisfies ApiError);
    xhr.onabort = () =>
      reject({ code: 'ABORTED', message: 'The upload was cancelled' } satisfies ApiError);
    signal?.addEventListener('abort', () => xhr.abort(), { once: true });
    xhr.send(file);
  });
}

function uploadError(status: number, body: string): ApiError {
  try {
    const parsed = JSON.parse(body) as {
      errors?: { message?: string; extensions?: { code?: string } }[];
    };
    const first = parsed.errors?.[0];
    if (first?.message) {
      return { code: first.extensions?.code ?? `HTTP_${status}`, message: first.message };
    }
  } catch {
    // Not JSON: a bucket's XML error, or a proxy's page.
  }
  const s3Message = /<Message>([^<]*)<\/Message>/.exec(body)?.[1];
  const code = status === 403 ? 'FORBIDDEN' : status === 413 ? 'BAD_USER_INPUT' : `HTTP_${status}`;
  return { code, message: s3Message ?? `The file store answered HTTP ${status}` };
}
