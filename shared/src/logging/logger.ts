import pino, { type Logger as PinoLogger } from 'pino';
import pretty from 'pino-pretty';

export type Logger = PinoLogger;

/** Paths pino replaces with "[redacted]": credentials never reach a log line. */
export const REDACTED_PATHS = [
  'password',
  '*.password',
  '*.*.password',
  'currentPassword',
  'newPassword',
  '*.currentPassword',
  '*.newPassword',
  'token',
  '*.token',
  'accessToken',
  '*.accessToken',
  'refreshToken',
  '*.refreshToken',
  'authorization',
  '*.authorization',
  'headers.authorization',
  'req.headers.authorization',
  'req.headers.cookie',
  'variables.password',
  'variables.input.password',
  'variables.input.currentPassword',
  'variables.input.newPassword',
  'variables.refreshToken',
];

export interface LoggerOptions {
  name: string;
  level?: string;
  /** Where lines go; default stdout. Tests pass a stream to capture or silence output. */
  destination?: pino.DestinationStream;
  /**
   * Lines for a person to read (`[12:00:00.123] WARN: [users] message`, then the fields, coloured on
   * a terminal) instead of one JSON object a line. Default false: JSON, which production's log
   * collectors read; `npm start` turns it on.
   */
  pretty?: boolean;
}

/** A logger with the service name on every line and secrets redacted: JSON, or for a person. */
export function createLogger({
  name,
  level = 'info',
  destination,
  pretty: forPerson = false,
}: LoggerOptions): Logger {
  const options: pino.LoggerOptions = {
    name,
    level,
    base: { service: name },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    formatters: { level: (label) => ({ level: label }) },
  };
  if (forPerson)
    return pino(
      options,
      pretty({
        destination: destination ?? 1,
        // Written before the call returns, so lines and the banner on stdout keep their order.
        sync: true,
        translateTime: 'SYS:HH:MM:ss.l',
        messageFormat: '[{service}] {msg}',
        ignore: 'service,name',
      }),
    );
  return destination ? pino(options, destination) : pino(options);
}

/** A logger that drops everything (tests inject it to stay silent). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
