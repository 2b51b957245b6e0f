import { readFileSync } from 'node:fs';
import { z } from 'zod';

/** Every problem with the environment, reported at once. */
export class ConfigError extends Error {
  readonly problems: readonly string[];

  constructor(problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

/**
 * Validates environment variables against a zod object schema and returns the typed result.
 * Empty strings count as unset (so `FOO=` in a .env file falls back to the default), and
 * `FOO_FILE` names a file to read FOO from.
 * Throws {@link ConfigError} listing every bad or missing variable.
 */
export function loadConfig<S extends z.ZodType>(
  schema: S,
  env: NodeJS.ProcessEnv = process.env,
): z.infer<S> {
  const present: Record<string, string> = Object.fromEntries(
    Object.entries(env).filter(
      (entry): entry is [string, string] => entry[1] !== undefined && entry[1] !== '',
    ),
  );
  const problems: string[] = [];
  // `X_FILE=/run/secrets/x` reads X from a file (Docker and Kubernetes secrets), unless X is
  // set; only for variables this schema reads (other programs' *_FILE variables are theirs).
  const known = schema instanceof z.ZodObject ? Object.keys(schema.shape) : [];
  for (const target of known) {
    const name = `${target}_FILE`;
    const file = present[name];
    if (file === undefined || present[target] !== undefined) continue;
    try {
      present[target] = readFileSync(file, 'utf8').trim();
    } catch (error) {
      problems.push(`${name}: cannot read ${file} (${(error as NodeJS.ErrnoException).code})`);
    }
  }
  const result = schema.safeParse(present);
  if (result.success && problems.length === 0) return result.data;
  throw new ConfigError([
    ...problems,
    ...(result.success
      ? []
      : result.error.issues.map(
          (issue) => `${issue.path.join('.') || '(environment)'}: ${issue.message}`,
        )),
  ]);
}

/** Runs a config loader; on {@link ConfigError} prints every problem and exits with status 1. */
export function configOrExit<T>(load: () => T): T {
  try {
    return load();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${error.message}\n`);
    process.exit(1);
  }
}

/** Reusable variable schemas. */
export const envVar = {
  port: (defaultPort: number) => z.coerce.number().int().min(0).max(65535).default(defaultPort),
  positiveInt: (defaultValue: number) => z.coerce.number().int().positive().default(defaultValue),
  boolean: (defaultValue: boolean) =>
    z
      .enum(['true', 'false', '1', '0'], { message: 'must be true or false' })
      .default(defaultValue ? 'true' : 'false')
      .transform((v) => v === 'true' || v === '1'),
  mongoUrl: () =>
    z.string().regex(/^mongodb(\+srv)?:\/\/\S+$/, 'must be a mongodb:// or mongodb+srv:// URL'),
  redisUrl: () => z.string().regex(/^rediss?:\/\/\S+$/, 'must be a redis:// or rediss:// URL'),
  httpUrl: () => z.string().regex(/^https?:\/\/\S+$/, 'must be an http:// or https:// URL'),
  list: () =>
    z.string().transform((v) =>
      v
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    ),
};

/** Variables every process reads. */
export const commonEnv = {
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  HOST: z.string().min(1).default('0.0.0.0'),
  BODY_LIMIT_BYTES: envVar.positiveInt(1_048_576),
  SHUTDOWN_GRACE_MS: envVar.positiveInt(10_000),
  /** How long a request's body may take to arrive after its headers (file transfers aside). */
  REQUEST_TIMEOUT_MS: envVar.positiveInt(30_000),
  /** How long a file upload or download (`/files/`) may go without a byte moving. */
  FILES_IDLE_TIMEOUT_MS: envVar.positiveInt(60_000),
  /** Serving on, not ready, this long after SIGTERM (behind a load balancer: a few seconds). */
  SHUTDOWN_DELAY_MS: z.coerce.number().int().min(0).default(0),
  REDIS_URL: envVar.redisUrl().optional(),
};
