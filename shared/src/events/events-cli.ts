import path from 'node:path';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { z } from 'zod';
import { ConfigError, envVar, loadConfig } from '../config/load-config';
import { silentLogger } from '../logging/logger';
import { deadLetterSocketClient } from './dead-letter-socket';
import { GROUPS } from './domain-events';
import { STREAM_ID, type DeadLetter, type DeadLetterAdmin } from './event-bus';
import { RedisEventBus } from './redis-event-bus';

/** The CLI's environment: the bus it reaches is the one the services it is run beside use. */
const cliEnv = z.object({
  REDIS_URL: envVar.redisUrl().optional(),
  EVENT_STREAM_PREFIX: z.string().min(1).default('psa:events:'),
  /** The dev stack's data directory (`npm start`'s DATA_DIR), where its socket is. */
  DATA_DIR: z.string().min(1).default('.data'),
});
export type EventsCliConfig = z.infer<typeof cliEnv>;

/** The file name of the dev stack's dead-letter socket in its data directory. */
export const DEAD_LETTER_SOCKET = 'events.sock';

export const EVENTS_CLI_USAGE = `Usage:
  events dead-letters list --service <name> [--limit <n>] [--after <id>] [--json]
  events dead-letters replay <id> --service <name>
  events dead-letters replay --all --service <name>

<name> is the consuming service: ${Object.values(GROUPS).join(', ')}.
With REDIS_URL set it works on the Redis event bus (streams prefixed EVENT_STREAM_PREFIX);
without, on the running dev stack (npm start) whose data directory is DATA_DIR (default .data).`;

/** Where the CLI writes. */
export interface CliOutput {
  out(line: string): void;
  err(line: string): void;
}

class UsageError extends Error {}

/** Opens the dead letters of the bus `config` names; `close` releases the connection. */
async function openDeadLetters(
  config: EventsCliConfig,
): Promise<{ admin: DeadLetterAdmin; close(): void }> {
  if (!config.REDIS_URL) {
    const socketPath = path.resolve(config.DATA_DIR, DEAD_LETTER_SOCKET);
    return { admin: deadLetterSocketClient(socketPath), close: () => undefined };
  }
  const redis = new Redis(config.REDIS_URL, {
    lazyConnect: true,
    maxRetriesPerRequest: 1,
    retryStrategy: () => null,
    connectionName: 'events-cli',
  });
  // The cause comes as an event; connect() only rejects with "Connection is closed".
  let cause: Error | null = null;
  redis.on('error', (error: Error) => (cause = error));
  try {
    await redis.connect();
  } catch (error) {
    redis.disconnect();
    // Not the URL: it may carry a password.
    throw new Error(`cannot reach Redis at REDIS_URL (${(cause ?? (error as Error)).message})`);
  }
  const bus = new RedisEventBus(redis, () => redis.duplicate(), {
    logger: silentLogger(),
    prefix: config.EVENT_STREAM_PREFIX,
  });
  return { admin: bus, close: () => redis.disconnect() };
}

function describe(letter: DeadLetter): string {
  return [
    letter.id,
    letter.stream,
    letter.event.type,
    `event ${letter.event.id}`,
    `${letter.attempts} attempts`,
    letter.deadAt,
    letter.error,
  ].join('  ');
}

/** Every dead letter of `group` now, oldest first. */
async function allDeadLetters(admin: DeadLetterAdmin, group: string): Promise<DeadLetter[]> {
  const letters: DeadLetter[] = [];
  for (;;) {
    const page = await admin.deadLetters(group, { after: letters.at(-1)?.id, limit: 100 });
    letters.push(...page);
    if (page.length < 100) return letters;
  }
}

/**
 * `npm run events -- dead-letters …`: lists and replays the events a service's handlers gave up
 * on (see {@link EVENTS_CLI_USAGE}). Resolves the exit status: 0 done, 1 failed, 2 bad usage.
 */
export async function runEventsCli(
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
  output: CliOutput,
): Promise<number> {
  let config: EventsCliConfig;
  let request: ReturnType<typeof parseRequest>;
  try {
    config = loadConfig(cliEnv, env);
    request = parseRequest(argv);
  } catch (error) {
    if (error instanceof ConfigError) {
      output.err(error.message);
      return 2;
    }
    if (error instanceof UsageError) {
      output.err(`${error.message}\n\n${EVENTS_CLI_USAGE}`);
      return 2;
    }
    throw error;
  }
  let opened: Awaited<ReturnType<typeof openDeadLetters>> | null = null;
  try {
    opened = await openDeadLetters(config);
    const { admin } = opened;
    const { group } = request;
    switch (request.command) {
      case 'list': {
        const letters = await admin.deadLetters(group, {
          after: request.after,
          limit: request.limit + 1,
        });
        const shown = letters.slice(0, request.limit);
        if (request.json) {
          output.out(JSON.stringify(shown, null, 2));
          return 0;
        }
        if (shown.length === 0) output.out(`${group} has no dead letters.`);
        for (const letter of shown) output.out(describe(letter));
        if (letters.length > shown.length) {
          output.out(`More after ${shown.at(-1)?.id}: add --after ${shown.at(-1)?.id}.`);
        }
        return 0;
      }
      case 'replay': {
        if (request.id !== undefined) {
          if (!(await admin.replayDeadLetter(group, request.id))) {
            output.err(`${group} has no dead letter ${request.id}.`);
            return 1;
          }
          output.out(`Replayed ${request.id} to ${group}.`);
          return 0;
        }
        // The ones there now: a replayed event that fails again comes back later, not in this run.
        let replayed = 0;
        for (const letter of await allDeadLetters(admin, group)) {
          if (await admin.replayDeadLetter(group, letter.id)) replayed++;
        }
        output.out(`Replayed ${replayed} dead letter${replayed === 1 ? '' : 's'} to ${group}.`);
        return 0;
      }
      default: {
        const unknown: never = request;
        throw new Error(`unknown request ${JSON.stringify(unknown)}`);
      }
    }
  } catch (error) {
    output.err(error instanceof Error ? error.message : String(error));
    return 1;
  } finally {
    opened?.close();
  }
}

type Request =
  | { command: 'list'; group: string; limit: number; after?: string; json: boolean }
  | { command: 'replay'; group: string; id?: string };

/** The command `argv` asks for; throws {@link UsageError} when malformed. */
function parseRequest(argv: readonly string[]): Request {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: {
        service: { type: 'string' },
        limit: { type: 'string' },
        after: { type: 'string' },
        json: { type: 'boolean', default: false },
        all: { type: 'boolean', default: false },
      },
    });
  } catch (error) {
    // An unknown option, or one without its value.
    throw new UsageError((error as Error).message);
  }
  const { values, positionals } = parsed;
  const [topic, command, id, ...rest] = positionals;
  if (topic !== 'dead-letters') throw new UsageError(`unknown command ${topic ?? '(none)'}`);
  const groups: readonly string[] = Object.values(GROUPS);
  const group = values.service;
  if (group === undefined || !groups.includes(group)) {
    throw new UsageError(`--service must be one of ${groups.join(', ')}`);
  }
  if (rest.length > 0) throw new UsageError(`unexpected ${rest.join(' ')}`);
  const checkId = (value: string | undefined, option: string): void => {
    if (value !== undefined && !STREAM_ID.test(value)) {
      throw new UsageError(`${option} must be a dead-letter id such as 1733212800000-0`);
    }
  };
  switch (command) {
    case 'list': {
      if (id !== undefined) throw new UsageError(`unexpected ${id}`);
      const limit = Number(values.limit ?? 100);
      if (!Number.isInteger(limit) || limit < 1 || limit > 1_000) {
        throw new UsageError('--limit must be a whole number from 1 to 1000');
      }
      checkId(values.after, '--after');
      return { command, group, limit, after: values.after, json: values.json };
    }
    case 'replay':
      if ((id === undefined) === !values.all) {
        throw new UsageError('replay takes either a dead-letter id or --all');
      }
      checkId(id, 'the id');
      return { command, group, id };
    default:
      throw new UsageError(`unknown dead-letters command ${command ?? '(none)'}`);
  }
}
