/**
 * The console names a file's content type from its extension when the browser gives none
 * (web/src/api/file-upload.ts); the documents service decides which types it takes
 * (services/documents/src/files/content-types.ts). The two lists live in separate builds (the
 * console talks only to the public API), so this checks they agree: every type the console may
 * declare is one the service takes, and every type the service takes has an extension the console
 * knows.
 */
import { ALLOWED_CONTENT_TYPES } from '../services/documents/src/files/content-types';

/** What the test uses of web/src/api/file-upload.ts. */
interface ConsoleUpload {
  CONSOLE_UPLOAD_EXTENSIONS: readonly string[];
  contentTypeOf(file: { name: string; type: string }): string;
}
// The console is an ES module built by Vite: the type checker of this CommonJS test package cannot
// follow an import of it, while jest (ts-jest) loads it like any TypeScript file.
const CONSOLE = '../web/src/api/file-upload';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { CONSOLE_UPLOAD_EXTENSIONS, contentTypeOf } = require(CONSOLE) as ConsoleUpload;

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
