/**
 * `npx tsx scripts/validate-k8s.ts [kustomization-dir...]`: renders each Kustomize directory
 * (default: k8s/overlays/dev and k8s/overlays/prod) with `kubectl kustomize` (offline, no cluster)
 * and validates each rendered object against the Kubernetes JSON schemas of the pinned
 * `kubernetes-models` package. Prints one line per object and exits non-zero on a render failure,
 * an invalid object or a kind it has no schema for.
 *
 * The schemas check types, required fields and enums; unknown fields (a misspelt key) pass them,
 * which is why test/deploy/k8s.test.ts also asserts the fields that matter by name.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';

/** The repository root (this file is in scripts/). */
export const REPO_ROOT = path.resolve(__dirname, '..');

/** The overlays that are rendered and validated, in k8s/overlays. */
export const OVERLAYS = ['dev', 'prod'] as const;

/** The directory of an overlay. */
export const overlayDir = (overlay: string): string =>
  path.join(REPO_ROOT, 'k8s', 'overlays', overlay);

/** A rendered Kubernetes object, as parsed from YAML. */
export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; [key: string]: unknown };
  [key: string]: unknown;
}

/** The outcome of validating one object: `error` is absent when it is valid. */
export interface ObjectResult {
  /** The kustomization directory, relative to the repository root. */
  overlay: string;
  kind: string;
  name: string;
  error?: string;
}

interface ModelClass {
  new (data: unknown): { validate(): void };
}

/**
 * Renders a kustomization directory with `kubectl kustomize` and parses the multi-document YAML.
 * Throws when kubectl is missing, the kustomization is invalid or a document does not parse.
 */
export function renderKustomization(dir: string): K8sObject[] {
  let text: string;
  try {
    text = execFileSync('kubectl', ['kustomize', dir], {
      encoding: 'utf8',
      maxBuffer: 16 * 1024 * 1024,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new Error('kubectl is not on the PATH (Debian: apt-get install kubectl)');
    }
    throw error;
  }
  return parseManifests(text);
}

/** Parses multi-document YAML into objects, skipping empty documents; throws on a YAML error. */
export function parseManifests(text: string): K8sObject[] {
  const objects: K8sObject[] = [];
  for (const document of parseAllDocuments(text)) {
    if (document.errors.length) throw new Error(document.errors.map((e) => e.message).join('\n'));
    const value: unknown = document.toJS();
    if (value === null || value === undefined) continue;
    if (!isK8sObject(value)) {
      throw new Error(`not a Kubernetes object: ${JSON.stringify(value).slice(0, 200)}`);
    }
    objects.push(value);
  }
  return objects;
}

function isK8sObject(value: unknown): value is K8sObject {
  if (typeof value !== 'object' || value === null) return false;
  const { apiVersion, kind, metadata } = value as Record<string, unknown>;
  return (
    typeof apiVersion === 'string' &&
    typeof kind === 'string' &&
    typeof metadata === 'object' &&
    metadata !== null &&
    typeof (metadata as Record<string, unknown>).name === 'string'
  );
}

/** `apps/v1` → `kubernetes-models/apps/v1`; the core group (`v1`) → `kubernetes-models/v1`. */
function modulePathOf(apiVersion: string): string {
  return `kubernetes-models/${apiVersion}`;
}

const modules = new Map<string, Promise<Record<string, unknown> | null>>();

/** The model class for an apiVersion and kind, or null when kubernetes-models has none. */
async function modelOf(apiVersion: string, kind: string): Promise<ModelClass | null> {
  const specifier = modulePathOf(apiVersion);
  let loading = modules.get(specifier);
  if (!loading) {
    // kubernetes-models is ESM-only: a dynamic import, which tsx keeps as one.
    loading = import(specifier).then(
      (module: Record<string, unknown>) => module,
      () => null,
    );
    modules.set(specifier, loading);
  }
  const module = await loading;
  const model = module?.[kind];
  return typeof model === 'function' ? (model as ModelClass) : null;
}

/** Validates one object against its schema; resolves to an error message, or undefined. */
export async function validateObject(object: K8sObject): Promise<string | undefined> {
  const Model = await modelOf(object.apiVersion, object.kind);
  if (!Model) return `unknown kind ${object.kind} in ${object.apiVersion} (no schema)`;
  try {
    new Model(object).validate();
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

/** Renders and validates one kustomization; a render failure is one result with an error. */
export async function validateKustomization(dir: string): Promise<ObjectResult[]> {
  const relative = path.relative(REPO_ROOT, path.resolve(dir));
  const overlay = relative && !relative.startsWith('..') ? relative : dir;
  let objects: K8sObject[];
  try {
    objects = renderKustomization(dir);
  } catch (error) {
    const stderr = (error as { stderr?: unknown }).stderr;
    const message = typeof stderr === 'string' && stderr ? stderr.trim() : String(error);
    return [{ overlay, kind: 'Kustomization', name: overlay, error: message }];
  }
  if (!objects.length) {
    return [{ overlay, kind: 'Kustomization', name: overlay, error: 'rendered no objects' }];
  }
  const results: ObjectResult[] = [];
  for (const object of objects) {
    const error = await validateObject(object);
    results.push({
      overlay,
      kind: object.kind,
      name: object.metadata.name,
      ...(error === undefined ? {} : { error }),
    });
  }
  return results;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const dirs = args.length ? args : OVERLAYS.map(overlayDir);
  let failures = 0;
  for (const dir of dirs) {
    for (const result of await validateKustomization(dir)) {
      const label = `${result.overlay}: ${result.kind}/${result.name}`;
      if (result.error === undefined) {
        process.stdout.write(`ok    ${label}\n`);
      } else {
        failures += 1;
        process.stdout.write(`FAIL  ${label}: ${result.error}\n`);
      }
    }
  }
  if (failures) {
    process.stderr.write(`${failures} invalid object(s) or overlay(s)\n`);
    process.exitCode = 1;
  }
}

// Run when executed (tsx), not when imported.
if (process.argv[1] && /validate-k8s\.[cm]?[jt]s$/.test(process.argv[1])) {
  main().catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : error}\n`);
    process.exit(1);
  });
}
