import { Schema, type Connection, type Model, type Types } from 'mongoose';

/**
 * A signed-in session: the refresh token (hashed) that renews its access tokens. Its id is the
 * `sid` of every access token it issues, so revoking it covers all of them.
 */
export interface SessionRecord {
  _id: Types.ObjectId;
  userId: Types.ObjectId;
  /** SHA-256 of the current refresh token. */
  refreshTokenHash: string;
  /** SHA-256 of every refresh token the session rotated away from: presenting one again is reuse. */
  usedRefreshTokenHashes: string[];
  expiresAt: Date;
  revokedAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

const sessionSchema = new Schema<SessionRecord>(
  {
    userId: { type: Schema.Types.ObjectId, required: true },
    refreshTokenHash: { type: String, required: true },
    usedRefreshTokenHashes: { type: [String], default: [] },
    expiresAt: { type: Date, required: true },
    revokedAt: { type: Date, default: null },
  },
  { timestamps: true, collection: 'sessions' },
);

sessionSchema.index({ refreshTokenHash: 1 }, { unique: true });
sessionSchema.index({ usedRefreshTokenHashes: 1 });
sessionSchema.index({ userId: 1 });
// Sessions ended within the last access-token lifetime, marked in Redis again once it is back.
sessionSchema.index({ revokedAt: 1 });
// Expired sessions disappear on their own.
sessionSchema.index({ expiresAt: 1 }, { expireAfterSeconds: 0 });

export type SessionModel = Model<SessionRecord>;

export const sessionModel = (connection: Connection): SessionModel =>
  connection.models.Session ?? connection.model<SessionRecord>('Session', sessionSchema);
