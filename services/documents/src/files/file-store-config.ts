import { ConfigError, envVar } from '@psa/shared';
import { z } from 'zod';
import type { FileStore } from './file-store';
import { S3FileStore } from './s3-file-store';

/**
 * Which store keeps uploaded files, and the S3 settings. Credentials: AWS_ACCESS_KEY_ID and
 * AWS_SECRET_ACCESS_KEY when both are set (read here so that `_FILE` works for them, as for every
 * secret), else the AWS SDK's default chain (a web identity token on EKS, an instance or task
 * role, shared files...), so that no key need sit in the configuration at all.
 */
export const fileStoreEnv = {
  FILE_STORE: z.enum(['local', 's3'], { message: 'must be local or s3' }).default('local'),
  S3_BUCKET: z
    .string()
    .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'must be a bucket name (3–63 of a-z 0-9 . -)')
    .optional(),
  S3_REGION: z.string().min(1).default('us-east-1'),
  /** An S3-compatible store's endpoint (MinIO, Ceph, R2...); unset for AWS. */
  S3_ENDPOINT: envVar.httpUrl().optional(),
  S3_FORCE_PATH_STYLE: envVar.boolean(false),
  AWS_ACCESS_KEY_ID: z.string().min(1).optional(),
  AWS_SECRET_ACCESS_KEY: z.string().min(1).optional(),
};

type FileStoreEnv = z.infer<z.ZodObject<typeof fileStoreEnv>>;

/** What is wrong with the file store settings together (each variable alone is checked by zod). */
export function fileStoreConfigProblems(config: FileStoreEnv): string[] {
  const problems: string[] = [];
  if (config.FILE_STORE === 's3' && !config.S3_BUCKET) {
    problems.push('S3_BUCKET: required when FILE_STORE=s3');
  }
  if (!config.AWS_ACCESS_KEY_ID !== !config.AWS_SECRET_ACCESS_KEY) {
    problems.push('AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY: set both or neither');
  }
  return problems;
}

/** The configured store: the S3 bucket, or `local()` (the local disk) by default. */
export function fileStoreOf(config: FileStoreEnv, local: () => FileStore): FileStore {
  if (config.FILE_STORE === 'local') return local();
  const problems = fileStoreConfigProblems(config);
  if (problems.length || !config.S3_BUCKET) throw new ConfigError(problems);
  return new S3FileStore({
    bucket: config.S3_BUCKET,
    region: config.S3_REGION,
    endpoint: config.S3_ENDPOINT,
    forcePathStyle: config.S3_FORCE_PATH_STYLE,
    credentials:
      config.AWS_ACCESS_KEY_ID && config.AWS_SECRET_ACCESS_KEY
        ? {
            accessKeyId: config.AWS_ACCESS_KEY_ID,
            secretAccessKey: config.AWS_SECRET_ACCESS_KEY,
          }
        : undefined,
  });
}
