/**
 * Random WebSocket sessions against graphql-ws on /graphql: wrong subprotocols, frames before
 * `connection_init`, malformed JSON, binary frames, unknown message types, duplicate ids, invalid
 * and oversized subscriptions. Each session records what the server sent and how it closed.
 */
import WebSocket from 'ws';
import type { Random } from './abuse-kit';

export interface SocketSession {
  kind: string;
  /** Every text frame the server sent. */
  received: string[];
  /** The close code, or 0 when the socket was still open when the session ended. */
  closeCode: number;
  /** Set when the socket failed to open at all (e.g. a refused subprotocol). */
  failure?: string;
}

/**
 * Close codes a client may see: normal (1000), going away (1001), protocol errors ws detects
 * (1002, 1007), no status (1005), a dropped connection ws reports as 1006, too big (1009), and
 * graphql-ws's own 4400-4499. Never 1011 or 4500 (internal errors).
 */
export const DOCUMENTED_CLOSE_CODES = new Set([
  0, 1000, 1001, 1002, 1005, 1006, 1007, 1009, 4400, 4401, 4403, 4406, 4408, 4409, 4429,
]);

const MESSAGE_TYPES = new Set(['connection_ack', 'ping', 'pong', 'next', 'error', 'complete']);

/** Why a session's traffic is not well-formed graphql-ws; null when it is. */
export function sessionProblem(session: SocketSession): string | null {
  if (!DOCUMENTED_CLOSE_CODES.has(session.closeCode)) return `close code ${session.closeCode}`;
  for (const text of session.received) {
    let message: unknown;
    try {
      message = JSON.parse(text);
    } catch {
      return `not JSON: ${text.slice(0, 200)}`;
    }
    const { type, payload } = message as { type?: unknown; payload?: unknown };
    if (typeof type !== 'string' || !MESSAGE_TYPES.has(type)) return `message type ${String(type)}`;
    if (/stacktrace|"exception"|node_modules|\/work\/|\bat [\w$.<>]+ \(/.test(text)) {
      return `leaks internals: ${text.slice(0, 300)}`;
    }
    const errors =
      type === 'error' ? payload : type === 'next' ? (payload as { errors?: unknown })?.errors : [];
    if (errors !== undefined && !Array.isArray(errors)) return `errors not a list: ${text}`;
    for (const error of (errors as { message?: unknown; extensions?: { code?: unknown } }[]) ??
      []) {
      if (typeof error.message !== 'string') return `an error without a message: ${text}`;
      if (typeof error.extensions?.code !== 'string') return `an error without a code: ${text}`;
    }
  }
  return null;
}

/** Builds random sessions; `token` is a valid access token, `projectId` one it may read. */
export class SocketFuzzer {
  constructor(
    private readonly random: Random,
    private readonly token: string,
    private readonly projectId: string,
  ) {}

  private init(): string {
    return JSON.stringify({
      type: 'connection_init',
      payload: { authorization: `Bearer ${this.token}` },
    });
  }

  private subscribeFrame(id: string, query: string, variables?: unknown): string {
    return JSON.stringify({ id, type: 'subscribe', payload: { query, variables } });
  }

  /** A random session plan: the subprotocol and the frames to send after opening. */
  plan(): { kind: string; protocol: string | null; frames: (string | Buffer)[] } {
    const random = this.random;
    const status = `subscription ($p: ID!) { statusUpdated(projectId: $p) { id message } }`;
    const p = { p: this.projectId };
    switch (random.int(0, 13)) {
      case 0:
        return { kind: 'no-subprotocol', protocol: null, frames: [this.init()] };
      case 1:
        return { kind: 'wrong-subprotocol', protocol: 'graphql-ws', frames: [this.init()] };
      case 2:
        return {
          kind: 'subscribe-before-init',
          protocol: 'graphql-transport-ws',
          frames: [this.subscribeFrame('1', status, p)],
        };
      case 3:
        return {
          kind: 'invalid-json',
          protocol: 'graphql-transport-ws',
          frames: [random.pick(['{', 'null', '[]', '"x"', '{"type": 1}', '\u0000'])],
        };
      case 4:
        return {
          kind: 'binary',
          protocol: 'graphql-transport-ws',
          frames: [Buffer.from([0, 1, 2, 255, 254])],
        };
      case 5:
        return {
          kind: 'init-with-bad-payload',
          protocol: 'graphql-transport-ws',
          frames: [
            JSON.stringify({
              type: 'connection_init',
              payload: random.pick<unknown>([
                null,
                'x',
                { authorization: { $gt: '' } },
                { authorization: 'Bearer a.b.c' },
                { authorization: `Bearer ${'a'.repeat(10_000)}` },
                [],
              ]),
            }),
          ],
        };
      case 6:
        return {
          kind: 'double-init',
          protocol: 'graphql-transport-ws',
          frames: [this.init(), this.init()],
        };
      case 7:
        return {
          kind: 'unknown-type',
          protocol: 'graphql-transport-ws',
          frames: [this.init(), JSON.stringify({ type: random.pick(['start', 'data', 'x', '']) })],
        };
      case 8:
        return {
          kind: 'invalid-subscription',
          protocol: 'graphql-transport-ws',
          frames: [
            this.init(),
            this.subscribeFrame(
              String(random.int(1, 9)),
              random.pick([
                '{',
                'subscription { nope }',
                'query { me { id } }',
                'mutation { logout }',
                'subscription { statusUpdated(projectId: 1) { id } }',
                'subscription A { statusUpdated(projectId: "x") { id } } subscription B { taskChanged(projectId: "x") { kind } }',
                'subscription { statusUpdated(projectId: "000000000000000000000000") { id } }',
                'subscription { statusUpdated(projectId: ".*") { id } }',
                'subscription { a: statusUpdated(projectId: "x") { id } b: taskChanged(projectId: "x") { kind } }',
              ]),
            ),
          ],
        };
      case 9:
        return {
          kind: 'wrong-variables',
          protocol: 'graphql-transport-ws',
          frames: [
            this.init(),
            this.subscribeFrame(
              '1',
              status,
              random.pick<unknown>([{ p: { $gt: '' } }, { p: 1 }, {}, 'x', [1], { p: null }]),
            ),
          ],
        };
      case 10:
        return {
          kind: 'duplicate-id',
          protocol: 'graphql-transport-ws',
          frames: [
            this.init(),
            this.subscribeFrame('1', status, p),
            this.subscribeFrame('1', status, p),
          ],
        };
      case 11:
        return {
          kind: 'oversized',
          protocol: 'graphql-transport-ws',
          frames: [this.init(), this.subscribeFrame('1', status, { p: 'x'.repeat(70_000) })],
        };
      case 12:
        return {
          kind: 'too-many-subscriptions',
          protocol: 'graphql-transport-ws',
          frames: [
            this.init(),
            ...Array.from({ length: 25 }, (_, i) => this.subscribeFrame(String(i), status, p)),
          ],
        };
      default:
        return {
          kind: 'subscribe-complete-ping',
          protocol: 'graphql-transport-ws',
          frames: [
            this.init(),
            JSON.stringify({ type: 'ping' }),
            this.subscribeFrame('s', status, p),
            JSON.stringify({ id: 's', type: 'complete' }),
            JSON.stringify({ id: 'never', type: 'complete' }),
            JSON.stringify({ type: 'pong', payload: 'x' }),
          ],
        };
    }
  }
}

/**
 * Opens a socket with `protocol`, sends `frames` one by one, waits until the server has been
 * quiet for `quietMs` (or closed), then closes and reports the session.
 */
export function runSession(
  url: string,
  plan: { kind: string; protocol: string | null; frames: (string | Buffer)[] },
  quietMs = 250,
): Promise<SocketSession> {
  return new Promise((resolve) => {
    const session: SocketSession = { kind: plan.kind, received: [], closeCode: 0 };
    const socket = plan.protocol ? new WebSocket(url, plan.protocol) : new WebSocket(url);
    let quiet: NodeJS.Timeout | null = null;
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      if (quiet) clearTimeout(quiet);
      socket.removeAllListeners('close');
      socket.on('error', () => undefined);
      if (socket.readyState === WebSocket.OPEN || socket.readyState === WebSocket.CONNECTING) {
        socket.terminate();
      }
      resolve(session);
    };
    const restartQuiet = () => {
      if (quiet) clearTimeout(quiet);
      quiet = setTimeout(finish, quietMs);
    };
    socket.on('error', (error) => {
      session.failure = error.message;
    });
    let acknowledged: (() => void) | null = null;
    socket.on('message', (data, isBinary) => {
      session.received.push(isBinary ? `<binary ${String(data)}>` : String(data));
      acknowledged?.();
      restartQuiet();
    });
    socket.on('close', (code) => {
      session.closeCode = code;
      acknowledged?.();
      finish();
    });
    socket.on('open', async () => {
      for (const frame of plan.frames) {
        if (socket.readyState !== WebSocket.OPEN) break;
        socket.send(frame);
        // What follows an init waits for the server's answer to it, as a client would.
        if (typeof frame === 'string' && frame.includes('"connection_init"')) {
          await new Promise<void>((resolve) => {
            acknowledged = resolve;
            setTimeout(resolve, 2_000).unref();
          });
          acknowledged = null;
        }
      }
      restartQuiet();
    });
    // A socket that never opens (refused upgrade) ends through 'error' then 'close'.
    setTimeout(finish, 10_000).unref();
  });
}
