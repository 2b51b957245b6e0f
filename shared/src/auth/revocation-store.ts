import type { Redis } from 'ioredis';
import type { Identity } from './access-token';

/** What a revocation check says about an access token. */
export type TokenStanding = 'valid' | 'revoked' | 'stale';

/**
 * Where sessions are marked revoked (logout, refresh-token reuse, deleted account) and users'
 * older tokens marked stale (role changed), for as long as an access token issued before could
 * still be presented. The gateway checks every signed-in request against it.
 */
export interface RevocationStore {
  /** Marks a session revoked until `untilEpochSeconds` (when its last access token expires). */
  revokeSession(sessionId: string, untilEpochSeconds: number): Promise<void>;
  /** Tokens of `userId` issued before `issuedBeforeEpochSeconds` are stale until `untilEpochSeconds`. */
  expireTokensIssuedBefore(
    userId: string,
    issuedBeforeEpochSeconds: number,
    untilEpochSeconds: number,
  ): Promise<void>;
  /** The token's standing. Rejects when the store cannot answer: callers fail closed. */
  standing(identity: Identity): Promise<TokenStanding>;
  isReady(): boolean;
}

const nowSeconds = (): number => Math.floor(Date.now() / 1000);

/** Revocations in Redis: shared by every gateway replica and every users replica. */
export class RedisRevocationStore implements RevocationStore {
  constructor(
    private readonly redis: Redis,
    private readonly prefix = 'psa:auth:',
  ) {}

  async revokeSession(sessionId: string, untilEpochSeconds: number): Promise<void> {
    const ttl = untilEpochSeconds - nowSeconds();
    if (ttl > 0) await this.redis.set(`${this.prefix}revoked:${sessionId}`, '1', 'EX', ttl);
  }

  async expireTokensIssuedBefore(
    userId: string,
    issuedBefore: number,
    untilEpochSeconds: number,
  ): Promise<void> {
    const ttl = untilEpochSeconds - nowSeconds();
    if (ttl > 0)
      await this.redis.set(`${this.prefix}valid-after:${userId}`, String(issuedBefore), 'EX', ttl);
  }

  async standing(identity: Identity): Promise<TokenStanding> {
    const [revoked, validAfter] = await this.redis.mget(
      `${this.prefix}revoked:${identity.sessionId}`,
      `${this.prefix}valid-after:${identity.userId}`,
    );
    if (revoked) return 'revoked';
    if (validAfter && identity.issuedAt < Number(validAfter)) return 'stale';
    return 'valid';
  }

  isReady(): boolean {
    return this.redis.status === 'ready';
  }
}

/**
 * Revocations in this process's memory, for the single-process dev stack without Redis (the users
 * service and the gateway share the one instance). Not for several processes.
 */
export class InMemoryRevocationStore implements RevocationStore {
  private readonly revoked = new Map<string, number>();
  private readonly validAfter = new Map<string, { issuedBefore: number; until: number }>();

  async revokeSession(sessionId: string, untilEpochSeconds: number): Promise<void> {
    this.revoked.set(sessionId, untilEpochSeconds);
  }

  async expireTokensIssuedBefore(
    userId: string,
    issuedBefore: number,
    untilEpochSeconds: number,
  ): Promise<void> {
    this.validAfter.set(userId, { issuedBefore, until: untilEpochSeconds });
  }

  async standing(identity: Identity): Promise<TokenStanding> {
    const now = nowSeconds();
    const revokedUntil = this.revoked.get(identity.sessionId);
    if (revokedUntil !== undefined && revokedUntil > now) return 'revoked';
    const stale = this.validAfter.get(identity.userId);
    if (stale && stale.until > now && identity.issuedAt < stale.issuedBefore) return 'stale';
    return 'valid';
  }

  isReady(): boolean {
    return true;
  }
}
