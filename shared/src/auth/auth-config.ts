import path from 'node:path';
import { z } from 'zod';
import {
  loadOrCreateDevSigningKey,
  signingKeyFromPem,
  verificationKeyFromPem,
  type SigningKey,
  type VerificationKey,
} from './signing-keys';
import { KeySet } from './key-set';
import type { Logger } from '../logging/logger';

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
  /** Where verifiers fetch the users service's public keys (JWKS) to follow key rotations. */
  JWKS_URL: z
    .string()
    .regex(/^https?:\/\/\S+$/, 'must be an http:// or https:// URL')
    .optional(),
};

export interface AuthConfig {
  NODE_ENV: 'development' | 'test' | 'production';
  JWT_ISSUER: string;
  JWT_AUDIENCE: string;
  JWT_PRIVATE_KEY?: string | undefined;
  JWT_PUBLIC_KEYS?: string | undefined;
  JWT_KEYS_DIR: string;
  JWKS_URL?: string | undefined;
}

/** Problems with the key settings for a process that signs (users) or only verifies. */
export function authConfigProblems(config: AuthConfig, signs: boolean): string[] {
  if (config.NODE_ENV !== 'production') return [];
  const problems: string[] = [];
  if (signs && !config.JWT_PRIVATE_KEY) problems.push('JWT_PRIVATE_KEY: required in production');
  if (!signs && !config.JWT_PUBLIC_KEYS && !config.JWKS_URL) {
    problems.push('JWKS_URL or JWT_PUBLIC_KEYS: one is required in production');
  }
  return problems;
}

/** The key the users service signs with: configured, or the development key. */
export function resolveSigningKey(config: AuthConfig): SigningKey {
  if (config.JWT_PRIVATE_KEY) return signingKeyFromPem(config.JWT_PRIVATE_KEY);
  return loadOrCreateDevSigningKey(config.JWT_KEYS_DIR);
}

/** The public keys in JWT_PUBLIC_KEYS (none when unset). */
export function configuredPublicKeys(config: AuthConfig): VerificationKey[] {
  const pem = config.JWT_PUBLIC_KEYS ?? '';
  const blocks = pem.match(/-----BEGIN PUBLIC KEY-----[\s\S]+?-----END PUBLIC KEY-----/g) ?? [];
  return blocks.map(verificationKeyFromPem);
}

/**
 * The keys a verifier accepts: JWT_PUBLIC_KEYS and the users service's JWKS (JWKS_URL); with
 * neither (development), the development key's public half.
 */
export function createVerifierKeySet(config: AuthConfig, logger: Logger): KeySet {
  const staticKeys = configuredPublicKeys(config);
  if (!staticKeys.length && !config.JWKS_URL) {
    const { kid, publicKey } = loadOrCreateDevSigningKey(config.JWT_KEYS_DIR);
    staticKeys.push({ kid, publicKey });
  }
  return new KeySet({ staticKeys, jwksUrl: config.JWKS_URL, logger });
}
