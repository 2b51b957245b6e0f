import path from 'node:path';
import { z } from 'zod';
import {
  loadOrCreateDevSigningKey,
  signingKeyFromPem,
  verificationKeyFromPem,
  type SigningKey,
  type VerificationKey,
} from './signing-keys';

const pem = (kind: string) =>
  z
    .string()
    .transform((v) => v.replace(/\\n/g, '\n'))
    .refine((v) => v.includes(`-----BEGIN ${kind}`), `must be a PEM ${kind.toLowerCase()}`);

/**
 * Token variables every process reads. In production the keys come from configuration
 * (JWT_PRIVATE_KEY for the users service, JWT_PUBLIC_KEYS for everyone); in development a key is
 * generated on first start into JWT_KEYS_DIR.
 */
export const authEnv = {
  JWT_ISSUER: z.string().min(1).default('psa-graph'),
  JWT_AUDIENCE: z.string().min(1).default('psa-graph-api'),
  /** PKCS#8 PEM of the EC P-256 signing key (users service). `\n` escapes are accepted. */
  JWT_PRIVATE_KEY: pem('PRIVATE KEY').optional(),
  /** SPKI PEM public keys accepted by verifiers, concatenated (old and new during a rotation). */
  JWT_PUBLIC_KEYS: z
    .string()
    .transform((v) => v.replace(/\\n/g, '\n'))
    .refine((v) => v.includes('-----BEGIN PUBLIC KEY'), 'must hold PEM public keys')
    .optional(),
  JWT_KEYS_DIR: z.string().min(1).default(path.join('.data', 'keys')),
};

export interface AuthConfig {
  NODE_ENV: 'development' | 'test' | 'production';
  JWT_ISSUER: string;
  JWT_AUDIENCE: string;
  JWT_PRIVATE_KEY?: string | undefined;
  JWT_PUBLIC_KEYS?: string | undefined;
  JWT_KEYS_DIR: string;
}

/** Problems with the key settings for a process that signs (users) or only verifies. */
export function authConfigProblems(config: AuthConfig, signs: boolean): string[] {
  if (config.NODE_ENV !== 'production') return [];
  const problems: string[] = [];
  if (signs && !config.JWT_PRIVATE_KEY) problems.push('JWT_PRIVATE_KEY: required in production');
  if (!signs && !config.JWT_PUBLIC_KEYS) problems.push('JWT_PUBLIC_KEYS: required in production');
  return problems;
}

/** The key the users service signs with: configured, or the development key. */
export function resolveSigningKey(config: AuthConfig): SigningKey {
  if (config.JWT_PRIVATE_KEY) return signingKeyFromPem(config.JWT_PRIVATE_KEY);
  return loadOrCreateDevSigningKey(config.JWT_KEYS_DIR);
}

/** The public keys a verifier accepts: configured, or the development key's. */
export function resolveVerificationKeys(config: AuthConfig): VerificationKey[] {
  if (config.JWT_PUBLIC_KEYS) {
    const blocks =
      config.JWT_PUBLIC_KEYS.match(/-----BEGIN PUBLIC KEY-----[\s\S]+?-----END PUBLIC KEY-----/g) ??
      [];
    return blocks.map(verificationKeyFromPem);
  }
  const { kid, publicKey } = loadOrCreateDevSigningKey(config.JWT_KEYS_DIR);
  return [{ kid, publicKey }];
}
