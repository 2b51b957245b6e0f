import { parseArgs } from 'node:util';
import { startEmbeddedMongo, type EngineLogger } from './index';

const USAGE = `Usage: embedded-mongo [--port 27017] [--host 127.0.0.1] [--dbpath DIR] [--quiet]

A MongoDB-wire-compatible server for development and tests (not a production database).
  --port N      TCP port (0 picks a free one; default 27017)
  --host H      interface to listen on (default 127.0.0.1)
  --dbpath DIR  keep data in DIR (journal + snapshots); without it, memory only
  --quiet       log only warnings and errors`;

function jsonLogger(quiet: boolean): EngineLogger {
  const write = (level: string) => (obj: object, msg?: string) => {
    const entry: Record<string, unknown> = { level, time: new Date().toISOString(), msg, ...obj };
    if (entry.err instanceof Error)
      entry.err = { message: entry.err.message, stack: entry.err.stack };
    process.stderr.write(`${JSON.stringify(entry)}\n`);
  };
  const none = (): void => undefined;
  return {
    debug: none,
    info: quiet ? none : write('info'),
    warn: write('warn'),
    error: write('error'),
  };
}

async function main(): Promise<void> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        port: { type: 'string', default: '27017' },
        host: { type: 'string', default: '127.0.0.1' },
        dbpath: { type: 'string' },
        quiet: { type: 'boolean', default: false },
        help: { type: 'boolean', default: false },
      },
    }));
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n${USAGE}\n`);
    process.exit(2);
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    process.stderr.write(`--port must be an integer from 0 to 65535, got '${values.port}'\n`);
    process.exit(2);
  }
  const server = await startEmbeddedMongo({
    port,
    host: values.host,
    dbPath: values.dbpath,
    logger: jsonLogger(values.quiet),
  });
  const shutdown = (signal: string): void => {
    process.stderr.write(
      `${JSON.stringify({ level: 'info', msg: `received ${signal}, stopping` })}\n`,
    );
    server.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`stop failed: ${String(error)}\n`);
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
  // Only once the handlers are installed: whoever waits for this line may signal right away.
  process.stdout.write(`embedded-mongo listening on ${server.uri}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(
    `embedded-mongo failed to start: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
});
