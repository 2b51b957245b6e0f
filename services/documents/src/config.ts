import { z } from 'zod';
import { authConfigProblems, ConfigError, envVar, loadConfig, subgraphEnv } from '@psa/shared';
import { fileStoreEnv } from './files/file-store-config';

const schema = z.object({
  ...subgraphEnv,
  ...fileStoreEnv,
  DOCUMENTS_PORT: envVar.port(4004),
  DOCUMENTS_DB: z.string().min(1).default('psa_documents'),
  /** The largest upload accepted, in bytes (default 50 MiB). */
  MAX_UPLOAD_BYTES: envVar.positiveInt(50 * 1024 * 1024),
  /** Where the local file store keeps uploaded files. */
  FILES_DIR: z.string().min(1).default('.data/files'),
  /**
   * The key the local store's upload and download URLs are signed with (HMAC-SHA256). Required in
   * production; elsewhere a random key per process.
   */
  FILES_SIGNING_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  /**
   * The origin clients reach the gateway at (e.g. https://psa.example.com), for the absolute
   * upload and download URLs of the local store. Default: the origin of each request.
   */
  FILES_PUBLIC_URL: envVar
    .httpUrl()
    .transform((url) => url.replace(/\/+$/, ''))
    .optional(),
  /** How often uploads never completed (older than 24 hours) are looked for and purged. */
  UPLOAD_PURGE_INTERVAL_MS: envVar.positiveInt(10 * 60 * 1000),
});

export type DocumentsConfig = z.infer<typeof schema>;

/** The documents service configuration from the environment; throws ConfigError listing every problem. */
export function loadDocumentsConfig(env: NodeJS.ProcessEnv = process.env): DocumentsConfig {
  const config = loadConfig(schema, env);
  const problems = authConfigProblems(config, false);
  if (config.NODE_ENV === 'production' && !config.FILES_SIGNING_SECRET) {
    problems.push('FILES_SIGNING_SECRET: required in production');
  }
  if (problems.length) throw new ConfigError(problems);
  return config;
}
