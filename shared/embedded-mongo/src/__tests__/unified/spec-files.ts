/**
 * Where the MongoDB unified-format specification files are and how they read. The files are not
 * part of this repository (their licence keeps them beside it): `MONGO_SPECS` names the
 * directory, or else `shared/mongo-specs/crud-unified` beside the checkout (`../shared/...` from
 * the repository root, as in CI, or beside any directory above it, as for a git worktree).
 */
import fs from 'node:fs';
import path from 'node:path';
import { BSON, type Document } from 'mongodb';

/** The directory below a `shared/` checkout of the specifications that holds the CRUD tests. */
const SPEC_SUBDIRECTORY = path.join('shared', 'mongo-specs', 'crud-unified');

/** The repository root: the nearest directory above this file whose package.json has workspaces. */
function repositoryRoot(): string {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    const manifest = path.join(dir, 'package.json');
    if (fs.existsSync(manifest)) {
      const { workspaces } = JSON.parse(fs.readFileSync(manifest, 'utf8')) as Document;
      if (workspaces !== undefined) return dir;
    }
    if (path.dirname(dir) === dir) throw new Error('no repository root above ' + __dirname);
  }
}

/** Where the specification files were looked for, and the directory found (if any). */
export interface SpecLocation {
  directory: string | undefined;
  /** What was looked at, for the line printed when nothing was found. */
  searched: string;
}

/**
 * The directory of the CRUD unified tests: `MONGO_SPECS` when set (it must exist), else the first
 * `shared/mongo-specs/crud-unified` beside the repository root or beside a directory above it.
 */
export function locateSpecs(env: NodeJS.ProcessEnv = process.env): SpecLocation {
  const configured = env.MONGO_SPECS;
  if (configured !== undefined && configured !== '') {
    const directory = path.resolve(configured);
    if (!fs.existsSync(directory)) throw new Error(`MONGO_SPECS=${configured} does not exist`);
    return { directory, searched: directory };
  }
  const root = repositoryRoot();
  const first = path.resolve(root, '..', SPEC_SUBDIRECTORY);
  for (let dir = path.dirname(root); ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, SPEC_SUBDIRECTORY);
    if (fs.existsSync(candidate)) return { directory: candidate, searched: first };
    if (path.dirname(dir) === dir) return { directory: undefined, searched: first };
  }
}

/** One test file of the unified format, as parsed (Extended JSON, relaxed). */
export interface SpecFile {
  /** File name, e.g. `updateOne-hint.json`. */
  name: string;
  content: Document;
}

/** Every `*.json` file of `directory`, in name order, parsed as Extended JSON. */
export function loadSpecFiles(directory: string): SpecFile[] {
  return fs
    .readdirSync(directory)
    .filter((name) => name.endsWith('.json'))
    .sort()
    .map((name) => ({
      name,
      content: BSON.EJSON.parse(fs.readFileSync(path.join(directory, name), 'utf8'), {
        relaxed: true,
      }) as Document,
    }));
}
