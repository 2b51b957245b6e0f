import mongoose, { type Connection } from 'mongoose';
import type { Logger } from '../logging/logger';

// Filter paths not in a schema are dropped instead of matching nothing silently. mongoose honours
// this only globally or per schema (a connection-level setting is ignored), and every service wants it.
mongoose.set('strictQuery', true);

export interface MongoOptions {
  /** Server URL without a database (`mongodb://host:27017`); the database is `dbName`. */
  url: string;
  /** The service's own database, e.g. `psa_users`. */
  dbName: string;
  logger: Logger;
  /** How long one connection attempt may take. Default 5,000 ms. */
  serverSelectionTimeoutMS?: number;
  /** Longest pause between attempts. Default 5,000 ms. */
  maxBackoffMs?: number;
  /** How often the driver checks the server, which bounds how fast readiness follows an outage. Default 5,000 ms. */
  heartbeatFrequencyMS?: number;
  /** Called for each command sent (connection upkeep aside), e.g. to count queries. */
  onCommand?: (command: string, collection: string) => void;
}

/** A service's database connection that keeps trying until it gets one. */
export interface MongoHandle {
  readonly connection: Connection;
  /** True while the driver is connected (readiness). */
  isReady(): boolean;
  /** Resolves once connected for the first time (tests and seeding wait for it). */
  whenConnected(): Promise<void>;
  close(): Promise<void>;
}

// Connection upkeep, not work done for a request: left out of the counts.
const HOUSEKEEPING = new Set(['hello', 'ismaster', 'isMaster', 'ping', 'endSessions', 'buildInfo']);

/**
 * Opens a mongoose connection to the service's own database with `strictQuery` and
 * `sanitizeFilter` on. It returns at once: the first connection is retried with exponential
 * backoff in the background (the service answers and reports not-ready meanwhile), and later
 * outages are handled by the driver's own reconnection.
 */
export function connectMongo(options: MongoOptions): MongoHandle {
  const { url, dbName, logger } = options;
  const connection = mongoose.createConnection();
  // Filters built from client input can never smuggle in query operators.
  connection.set('sanitizeFilter', true);
  let closed = false;
  let attempt = 0;
  let resolveConnected: () => void = () => undefined;
  const connected = new Promise<void>((resolve) => (resolveConnected = resolve));

  connection.on('connected', () => logger.info({ dbName }, 'mongodb connected'));
  connection.on('disconnected', () => !closed && logger.warn({ dbName }, 'mongodb disconnected'));
  connection.on('reconnected', () => logger.info({ dbName }, 'mongodb reconnected'));

  const open = async (): Promise<void> => {
    while (!closed) {
      try {
        await connection.openUri(url, {
          dbName,
          serverSelectionTimeoutMS: options.serverSelectionTimeoutMS ?? 5_000,
          heartbeatFrequencyMS: options.heartbeatFrequencyMS ?? 5_000,
          autoIndex: true,
          monitorCommands: Boolean(options.onCommand),
        });
        const { onCommand } = options;
        if (onCommand) {
          connection.getClient().on('commandStarted', (event) => {
            if (HOUSEKEEPING.has(event.commandName)) return;
            const target: unknown = event.command[event.commandName];
            onCommand(event.commandName, typeof target === 'string' ? target : '');
          });
        }
        resolveConnected();
        return;
      } catch (error) {
        attempt++;
        const delay = Math.min(options.maxBackoffMs ?? 5_000, 100 * 2 ** attempt);
        logger.warn(
          { err: error, dbName, attempt, retryInMs: delay },
          'mongodb connection failed, retrying',
        );
        await new Promise((resolve) => setTimeout(resolve, delay).unref());
      }
    }
  };
  void open();

  return {
    connection,
    isReady: () => connection.readyState === mongoose.ConnectionStates.connected,
    whenConnected: () => connected,
    close: async () => {
      closed = true;
      await connection.close();
    },
  };
}
