import { chmod, mkdir, unlink } from 'node:fs/promises';
import { createServer, request, type IncomingMessage, type ServerResponse } from 'node:http';
import { connect } from 'node:net';
import path from 'node:path';
import type { Logger } from '../logging/logger';
import type { Stoppable } from '../process/run-until-signal';
import type { DeadLetter, DeadLetterAdmin } from './event-bus';

/*
 * The single-process dev stack keeps its dead letters in its own memory (an in-process bus), so
 * `npm run events` reaches them through a Unix socket in the stack's data directory: only the
 * user who runs the stack can open it, and nothing listens on the network.
 */

/** True when something answers on `socketPath`. */
const answers = (socketPath: string): Promise<boolean> =>
  new Promise((resolve) => {
    const socket = connect(socketPath);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });

function reply(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

/**
 * Serves `admin`'s dead letters on a Unix socket at `socketPath`, readable and writable by this
 * user only: `GET /dead-letters?group=&after=&limit=` lists them, `POST
 * /dead-letters/replay?group=&id=` replays one. A socket left by a stack that died is replaced;
 * one another running stack answers on makes it throw.
 */
export async function serveDeadLetters(
  admin: DeadLetterAdmin,
  socketPath: string,
  logger: Logger,
): Promise<Stoppable> {
  if (await answers(socketPath)) {
    throw new Error(`another dev stack is serving ${socketPath}; stop it or set another DATA_DIR`);
  }
  await mkdir(path.dirname(socketPath), { recursive: true });
  await unlink(socketPath).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'ENOENT') throw error;
  });
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://dev-stack');
    const group = url.searchParams.get('group') ?? '';
    const route = `${req.method} ${url.pathname}`;
    const answer = async (): Promise<void> => {
      switch (route) {
        case 'GET /dead-letters': {
          const limit = Number(url.searchParams.get('limit') ?? 100);
          const after = url.searchParams.get('after') ?? undefined;
          return reply(res, 200, await admin.deadLetters(group, { after, limit }));
        }
        case 'POST /dead-letters/replay': {
          const id = url.searchParams.get('id') ?? '';
          return reply(res, 200, { replayed: await admin.replayDeadLetter(group, id) });
        }
        default:
          return reply(res, 404, { error: `no route ${route}` });
      }
    };
    answer().catch((error: unknown) => {
      logger.warn({ err: error, route }, 'dead-letter request failed');
      reply(res, 500, { error: error instanceof Error ? error.message : String(error) });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(socketPath, resolve);
  });
  await chmod(socketPath, 0o600);
  return {
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** Why a request over the socket did not get an answer. */
export class DevStackUnreachableError extends Error {
  constructor(socketPath: string, cause: unknown) {
    super(
      `no dev stack answers on ${socketPath} (${(cause as NodeJS.ErrnoException).code ?? cause}); ` +
        'start it with `npm start`, or set REDIS_URL to reach the Redis event bus',
    );
    this.name = 'DevStackUnreachableError';
  }
}

/** The dead letters of the dev stack serving `socketPath` (see {@link serveDeadLetters}). */
export function deadLetterSocketClient(socketPath: string): DeadLetterAdmin {
  const call = (method: string, path: string): Promise<unknown> =>
    new Promise((resolve, reject) => {
      const req = request({ socketPath, method, path }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
          if (res.statusCode === 200) return resolve(body);
          reject(new Error((body as { error?: string }).error ?? `status ${res.statusCode}`));
        });
        res.on('error', reject);
      });
      req.on('error', (error) => reject(new DevStackUnreachableError(socketPath, error)));
      req.end();
    });
  return {
    deadLetters: async (group, page = {}) => {
      const query = new URLSearchParams({ group, limit: String(page.limit ?? 100) });
      if (page.after) query.set('after', page.after);
      return (await call('GET', `/dead-letters?${query}`)) as DeadLetter[];
    },
    replayDeadLetter: async (group, id) => {
      const query = new URLSearchParams({ group, id });
      const answer = (await call('POST', `/dead-letters/replay?${query}`)) as { replayed: boolean };
      return answer.replayed;
    },
  };
}
