/**
 * The console names a file's content type from its extension when the browser gives none
 * (web/src/api/file-upload.ts); the documents service decides which types it takes
 * (services/documents/src/files/content-types.ts). The two lists live in separate builds (the
 * console talks only to the public API), so this checks they agree: every type the console may
 * declare is one the service takes, and every type the service takes has an extension the console
 * knows.
 */
import { ALLOWED_CONTENT_TYPES } from '../services/documents/src/files/content-types';
import { CONSOLE_UPLOAD_EXTENSIONS, contentTypeOf } from '../web/src/api/file-upload';

const declared = new Map(
  CONSOLE_UPLOAD_EXTENSIONS.map((extension) => [
    extension,
    contentTypeOf({ name: `file.${extension}`, type: '' }),
  ]),
);

it.each([...declared])('the console declares .%s as %s, a type the service takes', (_, type) => {
  expect(ALLOWED_CONTENT_TYPES).toContain(type);
});

it('every type the service takes has an extension the console knows', () => {
  expect([...new Set(declared.values())].sort()).toEqual([...ALLOWED_CONTENT_TYPES].sort());
});
