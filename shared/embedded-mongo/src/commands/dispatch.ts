import type { Document } from '../bson/values';
import { ErrorCode, fail, MongoServerError } from '../errors';
import { aggregateCommands } from './aggregate.commands';
import { catalogCommands } from './catalog.commands';
import { collModCommands } from './collmod.commands';
import { explainCommands } from './explain.commands';
import type { CommandContext, CommandHandler } from './command-context';
import { queryCommands } from './query.commands';
import { serverCommands } from './server.commands';
import { writeCommands } from './write.commands';

const HANDLERS: ReadonlyMap<string, CommandHandler> = new Map(
  Object.entries({
    ...serverCommands,
    ...catalogCommands,
    ...collModCommands,
    ...explainCommands,
    ...queryCommands,
    ...writeCommands,
    ...aggregateCommands,
  }),
);

/** Commands that write: they wait for the journal before replying. */
const WRITES = new Set([
  'insert',
  'update',
  'delete',
  'findAndModify',
  'findandmodify',
  'create',
  'collMod',
  'convertToCapped',
  'drop',
  'dropDatabase',
  'renameCollection',
  'createIndexes',
  'dropIndexes',
  'deleteIndexes',
]);

/** Logger shape the engine writes to (pino-compatible). */
export interface EngineLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/**
 * Runs one command and returns its reply document. Never throws: server errors become
 * `{ok: 0, errmsg, code, codeName}`, anything unexpected becomes InternalError and is logged.
 */
export async function dispatchCommand(
  command: Document,
  db: string,
  ctx: CommandContext,
  logger: EngineLogger,
): Promise<Document> {
  const name = Object.keys(command)[0] ?? '';
  try {
    if (
      command.txnNumber !== undefined ||
      command.startTransaction !== undefined ||
      command.autocommit !== undefined
    ) {
      fail(
        ErrorCode.IllegalOperation,
        'Transaction numbers are only allowed on a replica set member or mongos',
      );
    }
    ctx.sessions.touch(command.lsid);
    const handler = HANDLERS.get(name);
    if (!handler) {
      if (name === 'saslStart' || name === 'authenticate' || name === 'saslContinue') {
        fail(
          ErrorCode.NotImplemented,
          'authentication is not supported by the embedded MongoDB engine: connect without credentials',
        );
      }
      fail(ErrorCode.CommandNotFound, `no such command: '${name}'`);
    }
    const reply = handler(command, db, ctx);
    if (WRITES.has(name)) await ctx.catalog.durable();
    return reply;
  } catch (error) {
    if (error instanceof MongoServerError) return error.toReply();
    logger.error({ err: error, command: name, db }, 'command failed unexpectedly');
    return new MongoServerError(
      ErrorCode.InternalError,
      `internal error in ${name}: ${error instanceof Error ? error.message : String(error)}`,
    ).toReply();
  }
}
