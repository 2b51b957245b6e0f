import { createHash, randomBytes } from 'node:crypto';
import {
  signAccessToken,
  UnauthenticatedError,
  type Logger,
  type RevocationStore,
  type SigningKey,
  type TokenSettings,
  type TokenStanding,
  type Identity,
  type Role,
  toObjectId,
} from '@psa/shared';
import { trusted, type Types } from 'mongoose';
import type { SessionModel, SessionRecord } from './models/session.model';
import type { UserModel, UserRecord } from './models/user.model';

/** Tokens for a signed-in session, as `AuthPayload` resolves them. */
export interface AuthResult {
  accessToken: string;
  refreshToken: string;
  expiresAt: Date;
  user: UserRecord;
}

export interface SessionSettings extends TokenSettings {
  /** How long a session (and so its refresh tokens) lasts from sign-in. */
  refreshTtlDays: number;
}

// A session refreshed every 15 minutes for 30 days uses 2,880 tokens; the cap only bounds the
// document when a client refreshes in a loop. Older hashes beyond it read as unknown, not reuse.
const MAX_USED_HASHES = 10_000;

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');
const newRefreshToken = (): string => randomBytes(32).toString('base64url');
const nowSeconds = (): number => Math.floor(Date.now() / 1000);

/**
 * Sessions and their tokens. A session's id is the `sid` of its access tokens; its refresh token
 * is stored only as a SHA-256 hash and rotated on every use, and the hashes it rotated away from
 * are kept, so a refresh token presented twice is recognised and ends the session. Ending a
 * session marks it revoked in the database (no more refreshes) and in the revocation store until
 * its last access token expires (no more requests).
 */
export class SessionsDomain {
  constructor(
    private readonly sessions: SessionModel,
    private readonly users: UserModel,
    private readonly signingKey: SigningKey,
    private readonly settings: SessionSettings,
    private readonly revocations: RevocationStore,
    private readonly logger: Logger,
  ) {}

  /** Starts a session for `user` (after sign-up or login). */
  async start(user: UserRecord): Promise<AuthResult> {
    const refreshToken = newRefreshToken();
    const session = await this.sessions.create({
      userId: user._id,
      refreshTokenHash: sha256(refreshToken),
      expiresAt: new Date(Date.now() + this.settings.refreshTtlDays * 86_400_000),
    });
    return this.issue(user, session._id, refreshToken);
  }

  /**
   * Rotates a refresh token: the next one and an access token with the user's current role.
   * Throws UNAUTHENTICATED for an unknown, expired or revoked token, and for one already used,
   * which also revokes its session.
   */
  async refresh(refreshToken: string): Promise<AuthResult> {
    const hash = sha256(refreshToken);
    const next = newRefreshToken();
    // Conditioned on the current hash: of two refreshes with one token, exactly one rotates.
    const session = await this.sessions
      .findOneAndUpdate(
        {
          refreshTokenHash: hash,
          revokedAt: null,
          expiresAt: trusted({ $gt: new Date() }),
        },
        {
          $set: { refreshTokenHash: sha256(next) },
          $push: { usedRefreshTokenHashes: { $each: [hash], $slice: -MAX_USED_HASHES } },
        },
        { returnDocument: 'after' },
      )
      .lean<SessionRecord>()
      .exec();
    if (!session) {
      await this.detectReuse(hash);
      throw new UnauthenticatedError('Invalid or expired refresh token');
    }
    const user = await this.users.findById(session.userId).lean<UserRecord>().exec();
    if (!user) {
      await this.revoke([session._id]);
      throw new UnauthenticatedError('Invalid or expired refresh token');
    }
    return this.issue(user, session._id, next);
  }

  /** Ends one session of `userId` (logout). Safe to repeat. */
  async end(userId: Types.ObjectId, sessionId: Types.ObjectId): Promise<void> {
    await this.sessions
      .updateOne({ _id: sessionId, userId, revokedAt: null }, { $set: { revokedAt: new Date() } })
      .exec();
    // Marked even when the database had it revoked already: a retry after a store failure must work.
    await this.revocations.revokeSession(sessionId.toHexString(), this.lastTokenExpiry());
  }

  /** Ends every live session of `userId` but `except` (logoutAll, changePassword). */
  async endAll(userId: Types.ObjectId, except?: Types.ObjectId): Promise<void> {
    const filter = except
      ? { userId, revokedAt: null, _id: trusted({ $ne: except }) }
      : { userId, revokedAt: null };
    const live = await this.sessions.find(filter, { _id: 1 }).lean<{ _id: Types.ObjectId }[]>();
    await this.revoke(live.map((session) => session._id));
  }

  /**
   * Ends every session of a deleted user: each is marked revoked (no refresh works) and kept only
   * until the last access token issued for it expires, so the database can still say the
   * session ended while Redis is away and mark it again when Redis is back.
   */
  async deleteAll(userId: Types.ObjectId): Promise<void> {
    const all = await this.sessions.find({ userId }, { _id: 1 }).lean<{ _id: Types.ObjectId }[]>();
    const until = this.lastTokenExpiry();
    await this.sessions
      .updateMany(
        { userId },
        {
          $set: {
            revokedAt: new Date(),
            expiresAt: new Date(until * 1000),
          },
        },
      )
      .exec();
    await Promise.all(
      all.map((session) => this.revocations.revokeSession(session._id.toHexString(), until)),
    );
  }

  /**
   * A token's standing from the database, the record Redis caches: its session ended or gone,
   * or its user gone, is `revoked`; a role other than the user's current one is `stale`.
   */
  async standingFromDatabase(identity: Identity): Promise<TokenStanding> {
    const sessionId = toObjectId(identity.sessionId);
    const userId = toObjectId(identity.userId);
    if (!sessionId || !userId) return 'revoked';
    const [session, user] = await Promise.all([
      this.sessions
        .findOne({ _id: sessionId, userId }, { revokedAt: 1 })
        .lean<Pick<SessionRecord, 'revokedAt'>>()
        .exec(),
      this.users.findById(userId, { role: 1 }).lean<Pick<UserRecord, 'role'>>().exec(),
    ]);
    if (!session || session.revokedAt !== null || !user) return 'revoked';
    return user.role === identity.role ? 'valid' : 'stale';
  }

  /**
   * Marks in the revocation store again every session ended and every role changed within the
   * last access-token lifetime (what a Redis outage may have kept from it). Safe to repeat.
   */
  async remarkRecent(): Promise<{ sessions: number; roles: number }> {
    const since = new Date(Date.now() - this.settings.ttlSeconds * 1000);
    const until = this.lastTokenExpiry();
    const [ended, changed] = await Promise.all([
      this.sessions
        .find({ revokedAt: trusted({ $gte: since }) }, { _id: 1 })
        .lean<{ _id: Types.ObjectId }[]>()
        .exec(),
      this.users
        .find({ roleChangedAt: trusted({ $gte: since }) }, { role: 1 })
        .lean<Pick<UserRecord, '_id' | 'role'>[]>()
        .exec(),
    ]);
    await Promise.all([
      ...ended.map((session) => this.revocations.revokeSession(session._id.toHexString(), until)),
      ...changed.map((user) =>
        this.revocations.recordRoleChange(user._id.toHexString(), user.role, until),
      ),
    ]);
    return { sessions: ended.length, roles: changed.length };
  }

  /**
   * Makes the access tokens `userId` holds stop working once their role changed: a token naming
   * another role than `role` is stale until the last one issued before could expire. The next
   * refresh issues one with the new role.
   */
  async recordRoleChange(userId: Types.ObjectId, role: Role): Promise<void> {
    await this.revocations.recordRoleChange(userId.toHexString(), role, this.lastTokenExpiry());
  }

  /** A used refresh token of a live session is a copy someone else may hold: end the session. */
  private async detectReuse(hash: string): Promise<void> {
    const reused = await this.sessions
      .findOne(
        { usedRefreshTokenHashes: hash, revokedAt: null, expiresAt: trusted({ $gt: new Date() }) },
        { _id: 1, userId: 1 },
      )
      .lean<Pick<SessionRecord, '_id' | 'userId'>>()
      .exec();
    if (!reused) return;
    this.logger.warn(
      { sessionId: reused._id.toHexString(), userId: reused.userId.toHexString() },
      'refresh token reused: session revoked',
    );
    await this.revoke([reused._id]);
  }

  private async revoke(sessionIds: Types.ObjectId[]): Promise<void> {
    if (!sessionIds.length) return;
    await this.sessions
      .updateMany(
        { _id: trusted({ $in: sessionIds }), revokedAt: null },
        { $set: { revokedAt: new Date() } },
      )
      .exec();
    const until = this.lastTokenExpiry();
    await Promise.all(
      sessionIds.map((id) => this.revocations.revokeSession(id.toHexString(), until)),
    );
  }

  /** When an access token issued now would expire: how long a revocation must be remembered. */
  private lastTokenExpiry(): number {
    return nowSeconds() + this.settings.ttlSeconds;
  }

  private issue(user: UserRecord, sessionId: Types.ObjectId, refreshToken: string): AuthResult {
    const { token, expiresAt } = signAccessToken(
      { userId: user._id.toHexString(), role: user.role, sessionId: sessionId.toHexString() },
      this.signingKey,
      this.settings,
    );
    return { accessToken: token, refreshToken, expiresAt, user };
  }
}
