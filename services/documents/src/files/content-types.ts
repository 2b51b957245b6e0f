import type * as FileType from 'file-type' with { 'resolution-mode': 'import' };

// file-type is ESM-only and this package is CommonJS. Node 20.19+ and 22.12+ (the engines every
// package declares) load an ES module with require(). The require is Node's own, from
// process.getBuiltinModule: jest hands code its own `require` and `module`, whose registry cannot
// load ES modules.
const nodeModule = process.getBuiltinModule('node:module');
const { fileTypeFromBuffer } = nodeModule.createRequire(__filename)('file-type') as typeof FileType;

/** How many first bytes of an upload are sniffed (enough for file-type to tell the OOXML formats apart). */
export const SNIFF_BYTES = 64 * 1024;

const OOXML = 'application/vnd.openxmlformats-officedocument.';
const ODF = 'application/vnd.oasis.opendocument.';
const ZIP = 'application/zip';

/**
 * The content types an upload may declare, each with what its bytes may be detected as: a binary
 * format by its magic bytes (file-type), `text` for formats without any, which must be UTF-8 text
 * and not HTML. SVG and HTML are not on it: a browser runs their scripts.
 */
const ALLOWED: Record<string, readonly string[] | 'text'> = {
  'application/pdf': ['application/pdf'],
  'image/png': ['image/png'],
  'image/jpeg': ['image/jpeg'],
  'image/gif': ['image/gif'],
  'image/webp': ['image/webp'],
  'text/plain': 'text',
  'text/csv': 'text',
  'text/markdown': 'text',
  // Office and OpenDocument files are ZIP archives; file-type names the format when the archive's
  // first entries say so, else it sees a plain ZIP.
  [`${OOXML}wordprocessingml.document`]: [`${OOXML}wordprocessingml.document`, ZIP],
  [`${OOXML}spreadsheetml.sheet`]: [`${OOXML}spreadsheetml.sheet`, ZIP],
  [`${OOXML}presentationml.presentation`]: [`${OOXML}presentationml.presentation`, ZIP],
  [`${ODF}text`]: [`${ODF}text`, ZIP],
  [`${ODF}spreadsheet`]: [`${ODF}spreadsheet`, ZIP],
  [`${ODF}presentation`]: [`${ODF}presentation`, ZIP],
  [ZIP]: [ZIP],
};

/** The content types uploads may declare. */
export const ALLOWED_CONTENT_TYPES: readonly string[] = Object.keys(ALLOWED);

/** `raw` as an allowed content type (lower case, parameters dropped), or null when it is not one. */
export function allowedContentType(raw: string): string | null {
  const type = raw.split(';')[0]?.trim().toLowerCase() ?? '';
  return type in ALLOWED ? type : null;
}

// What a browser would take for a page or a script, at the start of a text file.
const MARKUP = /^\s*(<!doctype|<html|<head|<body|<script|<svg|<\?xml|<iframe|<object|<embed)/i;

/**
 * Why `head` (an upload's first bytes) is not what `contentType` (allowed) claims, or null when it
 * is. Binary formats must carry their magic bytes; text must be UTF-8 without NUL bytes and not
 * start like HTML, SVG or XML (which a browser might render and run).
 */
export async function contentMismatch(contentType: string, head: Buffer): Promise<string | null> {
  const expected = ALLOWED[contentType];
  if (!expected) return `${contentType} is not an allowed content type`;
  const detected = await fileTypeFromBuffer(head);
  if (expected === 'text') {
    if (detected) return `the bytes are ${detected.mime}, not ${contentType}`;
    if (head.includes(0) || !isUtf8Prefix(head)) return `the bytes are not ${contentType} text`;
    if (MARKUP.test(head.toString('utf8').replace(/^\uFEFF/, ''))) {
      return `the bytes are HTML or XML markup, not ${contentType}`;
    }
    return null;
  }
  if (!detected) return `the bytes are not ${contentType}`;
  return expected.includes(detected.mime)
    ? null
    : `the bytes are ${detected.mime}, not ${contentType}`;
}

/** Valid UTF-8, but for a character the cut at the end of the head may have split. */
function isUtf8Prefix(head: Buffer): boolean {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  try {
    decoder.decode(head, { stream: true });
    return true;
  } catch {
    return false;
  }
}
