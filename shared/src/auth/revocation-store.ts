import type { Redis } from 'ioredis';
import type { Logger } from '../logging/logger';
import type { Identity, Role } from './access-token';

/** What a revocation check says about an access token. */
export type TokenStanding = 'valid' | 'revoked' | 'stale';

/**
 * Where sessions are marked revoked (logout, refresh-token reuse, deleted account) and users'
 * new roles recorded (a token naming another role is stale), for as long as an access token
 * issued before could still be presented. The gateway checks every signed-in request against it.
 */
export interface RevocationStore {
  /** Marks a session revoked until `untilEpochSeconds` (when its last access token expires). */
  revokeSession(sessionId: string, untilEpochSeconds: number): Promise<void>;
  /** `userId` now has `role`: until `untilEpochSeconds`, tokens naming another role are stale. */
  recordRoleChange(userId: string, role: Role, untilEpochSeconds: number): Promise<void>;
  /**
   * The token's standing (`accessToken` is the token itself, for stores that can fall back to
   * asking the users service). Rejects when the store cannot answer: callers fail closed.
   */
  standing(identity: Identity, accessToken?: string): Promise<TokenStanding>;
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

  async recordRoleChange(userId: string, role: Role, untilEpochSeconds: number): Promise<void> {
    const ttl = untilEpochSeconds - nowSeconds();
    if (ttl > 0) await this.redis.set(`${this.prefix}role:${userId}`, role, 'EX', ttl);
  }

  async standing(identity: Identity): Promise<TokenStanding> {
    const [revoked, role] = await this.redis.mget(
      `${this.prefix}revoked:${identity.sessionId}`,
      `${this.prefix}role:${identity.userId}`,
    );
    if (revoked) return 'revoked';
    if (role && role !== identity.role) return 'stale';
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
  private readonly roles = new Map<string, { role: Role; until: number }>();

  async revokeSession(sessionId: string, untilEpochSeconds: number): Promise<void> {
    this.revoked.set(sessionId, untilEpochSeconds);
  }

  async recordRoleChange(userId: string, role: Role, untilEpochSeconds: number): Promise<void> {
    this.roles.set(userId, { role, until: untilEpochSeconds });
  }

  async standing(identity: Identity): Promise<TokenStanding> {
    const now = nowSeconds();
    const revokedUntil = this.revoked.get(identity.sessionId);
    if (revokedUntil !== undefined && revokedUntil > now) return 'revoked';
    const current = this.roles.get(identity.userId);
    if (current && current.until > now && current.role !== identity.role) return 'stale';
    return 'valid';
  }

  isReady(): boolean {
    return true;
  }
}

/** Where a token's standing can be read when the revocation store cannot answer. */
export interface StandingSource {
  standing(identity: Identity, accessToken?: string): Promise<TokenStanding>;
}

/**
 * The revocation store backed by the record it caches: while the primary store (Redis) cannot
 * answer, standings are read from `fallback` (the users database, where sessions and roles
 * live; the gateway asks the users service for it), and revocations that cannot be marked are only
 * logged — they are in the database, and the users service marks them again once Redis is back.
 */
export class FallbackRevocationStore implements RevocationStore {
  constructor(
    private readonly primary: RevocationStore,
    private readonly fallback: StandingSource,
    private readonly logger: Logger,
  ) {}

  async revokeSession(sessionId: string, untilEpochSeconds: number): Promise<void> {
    await this.primary.revokeSession(sessionId, untilEpochSeconds).catch((error: unknown) => {
      this.logger.warn(
        { err: error },
        'revocation store unavailable: the session ends in the database only until it is back',
      );
    });
  }

  async recordRoleChange(userId: string, role: Role, untilEpochSeconds: number): Promise<void> {
    await this.primary.recordRoleChange(userId, role, untilEpochSeconds).catch((error: unknown) => {
      this.logger.warn(
        { err: error },
        'revocation store unavailable: the role change is in the database only until it is back',
      );
    });
  }

  async standing(identity: Identity, accessToken?: string): Promise<TokenStanding> {
    try {
      return await this.primary.standing(identity);
    } catch {
      return this.fallback.standing(identity, accessToken);
    }
  }

  isReady(): boolean {
    return this.primary.isReady();
  }
}
