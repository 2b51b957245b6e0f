import type { Logger } from '../logging/logger';

/** Something that runs until stopped. */
export interface Stoppable {
  stop(): Promise<void>;
}

/**
 * Starts a process's servers and stops them on SIGTERM or SIGINT. Pressing Ctrl-C again a second
 * or more later forces exit. Signals repeated at once are ignored: `npm start` forwards the
 * terminal's SIGINT that the process already got, and supervisors such as `timeout` deliver
 * SIGTERM twice, and the graceful stop must still finish. A failed start exits 1; a clean stop 0.
 */
export function runUntilSignal(logger: Logger, start: () => Promise<Stoppable>): void {
  let running: Stoppable | null = null;
  let stoppingSince: number | null = null;
  const shutdown = (signal: NodeJS.Signals): void => {
    if (stoppingSince !== null) {
      if (signal !== 'SIGINT' || Date.now() - stoppingSince < 1_000) return;
      logger.warn({ signal }, 'interrupted again: exiting now');
      process.exit(1);
    }
    stoppingSince = Date.now();
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
      if (stoppingSince !== null) void started.stop().then(() => process.exit(0));
    },
    (error: unknown) => {
      logger.fatal({ err: error }, 'failed to start');
      process.exit(1);
    },
  );
}
