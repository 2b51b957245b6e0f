/**
 * What the abuse suite shares: a seeded random source, the API schema, a production-mode graph,
 * and the one check every answer must pass.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { buildSchema, type GraphQLSchema } from 'graphql';
import { startGraph, type Graph, type GraphOptions } from '../helpers/graph';

/** The seed of this run: ABUSE_SEED when set (to replay a failure), else a new one. */
export function abuseSeed(): number {
  const given = Number(process.env.ABUSE_SEED);
  return Number.isInteger(given) && given > 0 ? given : Math.floor(Math.random() * 2 ** 31) + 1;
}

/** A small seeded generator (mulberry32): the same seed gives the same cases. */
export class Random {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** A float in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** An integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  chance(probability: number): boolean {
    return this.next() < probability;
  }

  pick<T>(items: readonly T[]): T {
    const item = items[Math.floor(this.next() * items.length)];
    if (item === undefined) throw new Error('pick from an empty list');
    return item;
  }
}

/** The public API as clients see it: the supergraph's types (join machinery is unreachable). */
export function apiSchema(): GraphQLSchema {
  const sdl = readFileSync(path.join(__dirname, '../../gateway/supergraph.graphql'), 'utf8');
  return buildSchema(sdl);
}

/**
 * The graph in production mode (no stack traces, no introspection, https-only file URLs), as
 * deployed: the signing key comes from configuration like a Kubernetes Secret.
 */
export function startProductionGraph(options: GraphOptions = {}): Promise<Graph> {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return startGraph({
    ...options,
    env: {
      NODE_ENV: 'production',
      JWT_PRIVATE_KEY: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
      JWT_PUBLIC_KEYS: publicKey.export({ format: 'pem', type: 'spki' }).toString(),
      FILES_SIGNING_SECRET: randomBytes(32).toString('hex'),
      ...options.env,
    },
  });
}

/** Statuses the API documents; anything else (500, 502, …) is a failure. */
export const DOCUMENTED_STATUSES = new Set([
  200, 204, 400, 401, 403, 404, 405, 408, 413, 415, 429, 431,
]);

/** What a server must never show a client: stack frames, source paths, internals. */
const LEAK =
  /\bat [\w$.<>]+ \(|\(?\/[\w.-]+\/[\w./-]+\.(?:ts|js):\d+|node_modules|\/work\/|ECONNREFUSED|MongoServerError|Mongoose|BSONError|TypeError|ReferenceError|Cannot read propert/;

/** One answer from the server as the suite collected it. */
export interface Answer {
  /** The request's method (a HEAD answer has no body). */
  method: string;
  status: number;
  contentType: string;
  text: string;
}

/**
 * Why `answer` is not a documented, well-formed, leak-free GraphQL answer; null when it is. A
 * GraphQL answer is a JSON object with `data` and/or `errors`, each error with a message and a
 * string `extensions.code`, and no `stacktrace`/`exception` extension. `codes` collects the codes
 * seen.
 */
export function answerProblem(answer: Answer, codes?: Map<string, number>): string | null {
  if (!DOCUMENTED_STATUSES.has(answer.status)) return `status ${answer.status}`;
  if (LEAK.test(answer.text)) return `leaks internals: ${answer.text.slice(0, 300)}`;
  // HEAD answers and CORS preflights (OPTIONS, 204) have no body.
  if (answer.method === 'HEAD' || answer.method === 'OPTIONS') {
    return answer.text === '' ? null : `a ${answer.method} answer with a body`;
  }
  if (answer.status === 204) return 'a 204 to a request that is no preflight';
  if (!answer.contentType.includes('json')) return `content-type ${answer.contentType}`;
  let body: unknown;
  try {
    body = JSON.parse(answer.text);
  } catch {
    return `not JSON: ${answer.text.slice(0, 200)}`;
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return 'not an object';
  const { data, errors } = body as { data?: unknown; errors?: unknown };
  if (answer.status === 404) {
    return data === undefined && errors === undefined ? null : 'a 404 with a GraphQL body';
  }
  if (data === undefined && errors === undefined) return 'neither data nor errors';
  if (errors === undefined)
    return answer.status === 200 ? null : `status ${answer.status} with data only`;
  if (!Array.isArray(errors) || errors.length === 0) return 'errors is not a non-empty list';
  for (const error of errors as unknown[]) {
    if (typeof error !== 'object' || error === null) return 'an error is not an object';
    const { message, extensions } = error as { message?: unknown; extensions?: unknown };
    if (typeof message !== 'string') return 'an error without a message';
    if (typeof extensions !== 'object' || extensions === null) return `no extensions: ${message}`;
    const ext = extensions as Record<string, unknown>;
    if (typeof ext.code !== 'string') return `no extensions.code: ${message}`;
    if ('stacktrace' in ext || 'exception' in ext) return `stack trace in ${message}`;
    codes?.set(ext.code, (codes.get(ext.code) ?? 0) + 1);
  }
  return null;
}

/** A raw HTTP request, for bodies, headers and methods `fetch` would not send. */
export interface RawRequest {
  method: string;
  path: string;
  headers?: Record<string, string>;
  body?: Buffer | string;
}

/** Sends `request` to `baseUrl`'s host and collects the answer (a reset socket rejects). */
export function rawRequest(
  baseUrl: string,
  request: RawRequest,
  timeoutMs = 30_000,
): Promise<Answer> {
  const url = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: url.hostname,
        port: url.port,
        method: request.method,
        path: request.path,
        headers: request.headers,
        agent: false,
        timeout: timeoutMs,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () =>
          resolve({
            method: request.method,
            status: res.statusCode ?? 0,
            contentType: String(res.headers['content-type'] ?? ''),
            text: Buffer.concat(chunks).toString('utf8'),
          }),
        );
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer in ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end(request.body);
  });
}

/** `global.gc` without starting node with --expose-gc (null if the runtime refuses). */
export function forcedGc(): (() => void) | null {
  try {
    setFlagsFromString('--expose-gc');
    const gc: unknown = runInNewContext('gc');
    return typeof gc === 'function' ? () => void gc() : null;
  } catch {
    return null;
  }
}

/** Memory of this process (which hosts the graph) after a settle period and forced GCs, in MB. */
export async function settledMemory(settleMs = 1_000): Promise<{ rssMb: number; heapMb: number }> {
  const gc = forcedGc();
  for (let round = 0; round < 3; round++) {
    await new Promise((resolve) => setTimeout(resolve, settleMs / 3));
    gc?.();
  }
  const { rss, heapUsed } = process.memoryUsage();
  const mb = (bytes: number): number => Math.round((bytes / 1_048_576) * 10) / 10;
  return { rssMb: mb(rss), heapMb: mb(heapUsed) };
}

/** Writes a line of figures for the run's log (the console is reserved: tests fail on it). */
export function report(line: string): void {
  process.stderr.write(`[abuse] ${line}\n`);
}

/** The /healthz of each process, true when all answer 200. */
export async function allAlive(graph: Graph): Promise<Record<string, boolean>> {
  const urls = { gateway: graph.gatewayUrl, ...graph.subgraphUrls };
  const entries = await Promise.all(
    Object.entries(urls).map(async ([name, url]) => {
      try {
        const response = await fetch(url.replace(/\/graphql$/, '/healthz'));
        return [name, response.status === 200] as const;
      } catch {
        return [name, false] as const;
      }
    }),
  );
  return Object.fromEntries(entries);
}
