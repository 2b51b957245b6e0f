import type { Logger } from '../logging/logger';

/** Something that runs until stopped. */
export interface Stoppable {
  stop(): Promise<void>;
}

/**
 * Starts a process's servers and stops them on SIGTERM or SIGINT (a second signal forces exit).
 * A failed start exits with status 1; a clean stop exits 0.
 */
export function runUntilSignal(logger: Logger, start: () => Promise<Stoppable>): void {
  let running: Stoppable | null = null;
  let stopping = false;
  const shutdown = (signal: NodeJS.Signals): void => {
    if (stopping) {
      logger.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal }, 'shutting down');
    (running?.stop() ?? Promise.resolve()).then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
  start().then(
    (started) => {
      running = started;
      if (stopping) void started.stop().then(() => process.exit(0));
    },
    (error: unknown) => {
      logger.fatal({ err: error }, 'failed to start');
      process.exit(1);
    },
  );
}
