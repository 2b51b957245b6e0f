import net from 'node:net';
import type { Document } from './bson/values';
import type { CommandContext } from './commands/command-context';
import { dispatchCommand, type EngineLogger } from './commands/dispatch';
import { CursorRegistry } from './cursors';
import { FailPoints } from './fail-points';
import { ServerParameters } from './server-parameters';
import { LocalSessions } from './sessions';
import { Catalog } from './storage/catalog';
import { Journal } from './storage/journal';
import { removeExpiredDocuments } from './storage/ttl-monitor';
import { decodeMessage, encodeReply, MessageFramer, ProtocolError } from './wire/protocol';

export type { EngineLogger } from './commands/dispatch';

/** Options for {@link startEmbeddedMongo}. */
export interface EmbeddedMongoOptions {
  /** TCP port; 0 (the default) picks a free one. */
  port?: number;
  /** Interface to listen on. Default `127.0.0.1`. */
  host?: string;
  /**
   * Directory for durable data (journal and snapshots). When set, every acknowledged write is
   * in the journal before its reply and the data is there after a restart. Default: memory only.
   */
  dbPath?: string;
  /** Where the engine logs (pino-compatible). Default: silent. */
  logger?: EngineLogger;
  /** How often the TTL monitor deletes expired documents, in ms. Default 60,000 (as mongod). */
  ttlMonitorIntervalMs?: number;
  /** Idle server cursors are closed after this many ms. Default 600,000 (as mongod). */
  cursorTimeoutMs?: number;
  /** Journal size (bytes since the last snapshot) that triggers a compaction. Default 64 MiB. */
  compactThresholdBytes?: number;
  /** Group-commit window of the journal, in ms. Default 2. */
  groupCommitMs?: number;
  /**
   * Serve mongod's test commands (`configureFailPoint` with the `failCommand` fail point), as
   * mongod's `enableTestCommands` parameter does. Default false: they are unknown commands.
   */
  enableTestCommands?: boolean;
}

/** A running engine. */
export interface EmbeddedMongo {
  /** `mongodb://host:port` for the driver or mongoose. */
  readonly uri: string;
  readonly host: string;
  readonly port: number;
  /** Runs the TTL monitor now (tests use it instead of waiting for the interval). */
  removeExpiredDocuments(): number;
  /**
   * Stops accepting connections, closes open ones, waits for pending journal writes and releases
   * the data directory. Idempotent.
   */
  stop(): Promise<void>;
}

const SILENT: EngineLogger = { debug() {}, info() {}, warn() {}, error() {} };

async function openJournal(
  catalog: Catalog,
  options: EmbeddedMongoOptions,
  logger: EngineLogger,
): Promise<Journal | null> {
  if (!options.dbPath) return null;
  const { journal, recovered } = await Journal.open({
    dir: options.dbPath,
    groupCommitMs: options.groupCommitMs,
    logger,
  });
  if (recovered.snapshot) catalog.loadSnapshot(recovered.snapshot);
  for (const entry of recovered.entries) catalog.replay(entry);
  catalog.attachJournal(journal);
  logger.info(
    { dbPath: options.dbPath, replayed: recovered.entries.length },
    'embedded-mongo recovered data directory',
  );
  return journal;
}

/**
 * Starts a MongoDB-wire-compatible server. Resolves once it listens. Rejects if the port is taken
 * or the data directory cannot be opened (locked by another process, corrupt).
 */
export async function startEmbeddedMongo(
  options: EmbeddedMongoOptions = {},
): Promise<EmbeddedMongo> {
  const logger = options.logger ?? SILENT;
  const host = options.host ?? '127.0.0.1';
  const cursors = new CursorRegistry(options.cursorTimeoutMs);
  const catalog = new Catalog(
    new ServerParameters(options.cursorTimeoutMs, (ms) => cursors.setIdleTimeout(ms)),
  );
  const failPoints = options.enableTestCommands ? new FailPoints() : undefined;
  const sessions = new LocalSessions();
  const journal = await openJournal(catalog, options, logger);
  const sockets = new Set<net.Socket>();
  const server = net.createServer();
  const startedAt = new Date();
  let nextConnectionId = 1;
  let port = 0;
  let compacting: Promise<void> | null = null;

  const maybeCompact = (): void => {
    if (!journal || compacting) return;
    if (journal.bytesSinceSnapshot < (options.compactThresholdBytes ?? 64 * 1024 * 1024)) return;
    compacting = journal
      .compact(catalog.snapshot())
      .catch((error: unknown) => logger.error({ err: error }, 'embedded-mongo snapshot failed'))
      .finally(() => (compacting = null));
  };

  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.setNoDelay(true);
    const ctx: CommandContext = {
      catalog,
      cursors,
      connectionId: nextConnectionId++,
      clientAddress: `${socket.remoteAddress ?? ''}:${socket.remotePort ?? 0}`,
      server: { host, port, startedAt },
      logger,
      connectionCount: () => sockets.size,
      failPoints,
      sessions,
    };
    const framer = new MessageFramer();
    // Requests on one connection are answered in order; the driver never pipelines, but a
    // moreToCome write followed by a read must still run first.
    let queue: Promise<void> = Promise.resolve();
    socket.on('data', (chunk: Buffer) => {
      let messages: Buffer[];
      try {
        messages = framer.push(chunk);
      } catch (error) {
        logger.warn(
          { err: error, connectionId: ctx.connectionId },
          'closing connection: bad message framing',
        );
        socket.destroy();
        return;
      }
      for (const message of messages) {
        queue = queue.then(() => handleMessage(message, ctx, socket));
      }
    });
    socket.on('error', (error) =>
      logger.debug({ err: error, connectionId: ctx.connectionId }, 'socket error'),
    );
    socket.on('close', () => sockets.delete(socket));
  });

  const handleMessage = async (
    message: Buffer,
    ctx: CommandContext,
    socket: net.Socket,
  ): Promise<void> => {
    let request;
    try {
      request = decodeMessage(message);
    } catch (error) {
      if (!(error instanceof ProtocolError) && !(error instanceof Error)) throw error;
      logger.warn(
        { err: error, connectionId: ctx.connectionId },
        'closing connection: malformed message',
      );
      socket.destroy();
      return;
    }
    const name = Object.keys(request.command)[0] ?? '';
    const failure = failPoints?.trigger(name, request.db, request.command[name]);
    if (failure && failure.blockMs > 0) {
      await new Promise((resolve) => setTimeout(resolve, failure.blockMs));
    }
    if (failure?.closeConnection) {
      socket.destroy();
      return;
    }
    let reply: Document = failure?.error
      ? failure.error.toReply()
      : await dispatchCommand(request.command, request.db, ctx, logger);
    if (failure?.writeConcernError)
      reply = { ...reply, writeConcernError: failure.writeConcernError };
    if (failure?.errorLabels) reply = { ...reply, errorLabels: failure.errorLabels };
    maybeCompact();
    if (!request.noReply && !socket.destroyed) socket.write(encodeReply(request, reply));
  };

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  port = typeof address === 'object' && address ? address.port : 0;

  const timers = [
    setInterval(() => runTtl(), options.ttlMonitorIntervalMs ?? 60_000),
    setInterval(() => cursors.expireIdle(), 60_000),
  ];
  for (const timer of timers) timer.unref();

  const runTtl = (): number => {
    const removed = removeExpiredDocuments(catalog);
    if (removed > 0) logger.debug({ removed }, 'TTL monitor removed expired documents');
    return removed;
  };

  let stopping: Promise<void> | null = null;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      for (const timer of timers) clearInterval(timer);
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      await closed;
      await catalog.durable().catch(() => undefined);
      await compacting;
      cursors.clear();
      await journal?.close();
    })();
    return stopping;
  };

  const displayHost = host.includes(':') ? `[${host}]` : host;
  logger.info({ host, port }, 'embedded-mongo listening');
  return {
    uri: `mongodb://${displayHost}:${port}`,
    host,
    port,
    removeExpiredDocuments: runTtl,
    stop,
  };
}
