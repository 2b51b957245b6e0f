import pino, { type Logger as PinoLogger } from 'pino';

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
}

/** A JSON logger with the service name on every line and secrets redacted. */
export function createLogger({ name, level = 'info', destination }: LoggerOptions): Logger {
  const options: pino.LoggerOptions = {
    name,
    level,
    base: { service: name },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    formatters: { level: (label) => ({ level: label }) },
  };
  return destination ? pino(options, destination) : pino(options);
}

/** A logger that drops everything (tests inject it to stay silent). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
