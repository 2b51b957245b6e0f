/**
 * The codes clients act on are spelled in one place each (`ErrorCode`, `WebSocketCloseCode`) and
 * the README lists every one of them.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { WebSocketCloseCode } from '@psa/gateway';
import { ErrorCode, HTTP_STATUS } from '@psa/shared';

const ROOT = path.resolve(__dirname, '..');
const README = readFileSync(path.join(ROOT, 'README.md'), 'utf8').split('\n');

/** The README table whose header row starts with `firstHeader`: first cell → second cell. */
function readmeTable(firstHeader: string): Map<string, string> {
  const start = README.findIndex((line) => line.startsWith(`| ${firstHeader} `));
  expect(start).toBeGreaterThan(-1);
  const rows = new Map<string, string>();
  for (const line of README.slice(start + 2)) {
    if (!line.startsWith('|')) break;
    const [first = '', second = ''] = line
      .split('|')
      .slice(1)
      .map((cell) => cell.trim());
    rows.set(first.replace(/`/g, ''), second);
  }
  return rows;
}

/** Production TypeScript files of the processes (no tests, no generated code). */
function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      return ['__tests__', 'generated', 'node_modules'].includes(entry.name)
        ? []
        : sourceFiles(full);
    }
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') ? [full] : [];
  });
}

const PRODUCTION_SOURCES = [
  path.join(ROOT, 'gateway', 'src'),
  path.join(ROOT, 'shared', 'src'),
  ...readdirSync(path.join(ROOT, 'services')).map((name) =>
    path.join(ROOT, 'services', name, 'src'),
  ),
].flatMap(sourceFiles);

const closeCodes = Object.values(WebSocketCloseCode).filter(
  (value): value is number => typeof value === 'number',
);

describe('error codes', () => {
  it('the README lists every ErrorCode with its HTTP status, and no other code', () => {
    const table = readmeTable('`extensions.code`');
    expect([...table.keys()].sort()).toEqual(Object.values(ErrorCode).sort());
    for (const [code, status] of table) {
      expect(status).toMatch(new RegExp(`^${HTTP_STATUS[code as ErrorCode]}\\b`));
    }
  });

  it('no production file but the enum spells a code', () => {
    // A known code in quotes, or any upper-case string given as a `code` (one the enum lacks).
    const known = Object.values(ErrorCode).join('|');
    const spelled = new RegExp(`['"\`](${known})['"\`]|\\bcode:\\s*['"\`][A-Z_]+['"\`]`);
    const offenders = PRODUCTION_SOURCES.filter(
      (file) =>
        !file.endsWith(path.join('errors', 'error-code.ts')) &&
        spelled.test(readFileSync(file, 'utf8')),
    );
    expect(offenders.map((file) => path.relative(ROOT, file))).toEqual([]);
  });
});

describe('WebSocket close codes', () => {
  it('the README lists every code the gateway closes a socket with, and no other', () => {
    const table = readmeTable('close code');
    expect([...table.keys()].map(Number).sort()).toEqual([...closeCodes].sort());
  });

  it('no gateway file but the enum spells a close code (comments may name one)', () => {
    const spelled = new RegExp(`\\b(${closeCodes.join('|')})\\b`);
    const withoutComments = (file: string) =>
      readFileSync(file, 'utf8')
        .replace(/\/\*[\s\S]*?\*\//g, '')
        .replace(/\/\/.*$/gm, '');
    const offenders = PRODUCTION_SOURCES.filter(
      (file) =>
        file.includes(`${path.sep}gateway${path.sep}`) &&
        !file.endsWith('close-code.ts') &&
        spelled.test(withoutComments(file)),
    );
    expect(offenders.map((file) => path.relative(ROOT, file))).toEqual([]);
  });
});
