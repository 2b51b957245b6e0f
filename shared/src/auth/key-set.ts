import { createPublicKey, type JsonWebKey } from 'node:crypto';
import type { Logger } from '../logging/logger';
import { UnauthenticatedError } from '../errors/domain-error';
import {
  accessTokenKeyId,
  verifyAccessToken,
  type Identity,
  type TokenSettings,
} from './access-token';
import { JWT_ALGORITHM, keyId, type VerificationKey } from './signing-keys';

/** A public key as a JSON Web Key (RFC 7517), as `/.well-known/jwks.json` serves it. */
export function toJwk(
  key: VerificationKey,
): JsonWebKey & { kid: string; alg: string; use: string } {
  return {
    ...key.publicKey.export({ format: 'jwk' }),
    kid: key.kid,
    alg: JWT_ALGORITHM,
    use: 'sig',
  };
}

/** Reads the EC P-256 signing keys of a JWKS document; others are skipped. */
export function fromJwks(document: unknown): VerificationKey[] {
  const keys = (document as { keys?: unknown }).keys;
  if (!Array.isArray(keys)) return [];
  return keys.flatMap((jwk: JsonWebKey & { kid?: unknown; alg?: unknown }) => {
    if (
      jwk.kty !== 'EC' ||
      jwk.crv !== 'P-256' ||
      (jwk.alg !== undefined && jwk.alg !== JWT_ALGORITHM)
    )
      return [];
    try {
      const publicKey = createPublicKey({ key: jwk, format: 'jwk' });
      // The kid is the key's own thumbprint: a JWKS cannot pass a key off under another's id.
      const kid = keyId(publicKey);
      return typeof jwk.kid === 'string' && jwk.kid !== kid ? [] : [{ kid, publicKey }];
    } catch {
      return [];
    }
  });
}

export interface KeySetOptions {
  /** Keys known from configuration. */
  staticKeys?: readonly VerificationKey[];
  /** The users service's JWKS document; fetched on first need, on an unknown `kid`, and when stale. */
  jwksUrl?: string;
  logger: Logger;
  /** How long fetched keys are trusted before the next use refreshes them. Default 5 minutes. */
  maxAgeMs?: number;
  /** Fewest ms between two fetches, so unknown kids cannot make us hammer the endpoint. Default 1 s. */
  minFetchIntervalMs?: number;
}

/**
 * The public keys access tokens are verified with: configured ones plus those the users service
 * publishes as JWKS, cached and picked by `kid`. A new signing key is picked up the first time a
 * token names it, so keys rotate without restarts.
 */
/** Verified tokens are remembered this long at most (and never past their expiry). */
const VERIFIED_TTL_MS = 60_000;
const VERIFIED_MAX = 10_000;

export class KeySet {
  /**
   * Tokens whose signature, issuer and audience were checked, by token and settings: a federated
   * request presents the same token to the gateway and to every subgraph it calls, and checking
   * the ES256 signature each time was a measurable share of the CPU.
   */
  private readonly verified = new Map<string, { identity: Identity; until: number }>();
  private fetched: VerificationKey[] = [];
  private fetchedAt = 0;
  private lastAttempt = 0;
  private inflight: Promise<void> | null = null;

  constructor(private readonly options: KeySetOptions) {}

  /**
   * The key for `kid`, or null. Configured keys answer at once; fetched ones too, refreshed in the
   * background once old; an unknown kid waits for a fetch (rate-limited), as after a rotation.
   */
  async key(kid: string): Promise<VerificationKey | null> {
    const configured = this.options.staticKeys?.find((k) => k.kid === kid);
    if (configured) return configured;
    const fetched = this.fetched.find((k) => k.kid === kid);
    if (fetched) {
      if (Date.now() - this.fetchedAt > (this.options.maxAgeMs ?? 300_000)) void this.refresh();
      return fetched;
    }
    await this.refresh();
    return this.fetched.find((k) => k.kid === kid) ?? null;
  }

  /** Verifies an access token (see verifyAccessToken); throws UnauthenticatedError. */
  async verify(
    token: string,
    settings: Pick<TokenSettings, 'issuer' | 'audience'>,
  ): Promise<Identity> {
    const cacheKey = `${settings.issuer}\n${settings.audience}\n${token}`;
    const now = Date.now();
    const remembered = this.verified.get(cacheKey);
    if (remembered && remembered.until > now) return remembered.identity;
    const key = await this.key(accessTokenKeyId(token));
    if (!key) throw new UnauthenticatedError('Invalid access token');
    const identity = verifyAccessToken(token, key, settings);
    if (this.verified.size >= VERIFIED_MAX) {
      // Oldest first (Map keeps insertion order).
      const oldest = this.verified.keys().next().value;
      if (oldest !== undefined) this.verified.delete(oldest);
    }
    this.verified.delete(cacheKey);
    this.verified.set(cacheKey, {
      identity,
      until: Math.min(identity.expiresAt * 1000, now + VERIFIED_TTL_MS),
    });
    return identity;
  }

  /**
   * Fetches the JWKS once, however many callers ask at the same time. Fetches are at least
   * `minFetchIntervalMs` apart: a caller asking sooner waits for the next allowed fetch, so a
   * token signed with a just-rotated key is never refused for arriving too early.
   */
  private refresh(): Promise<void> {
    const url = this.options.jwksUrl;
    if (!url) return Promise.resolve();
    this.inflight ??= (async () => {
      const wait = this.lastAttempt + (this.options.minFetchIntervalMs ?? 1_000) - Date.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      this.lastAttempt = Date.now();
      try {
        const response = await fetch(url, { signal: AbortSignal.timeout(3_000) });
        if (!response.ok) throw new Error(`JWKS answered ${response.status}`);
        this.fetched = fromJwks(await response.json());
        this.fetchedAt = Date.now();
      } catch (error) {
        // Keep the keys we have: a users-service outage must not sign everyone out.
        this.options.logger.warn({ err: error, jwksUrl: url }, 'could not refresh the JWKS');
      } finally {
        this.inflight = null;
      }
    })();
    return this.inflight;
  }
}
