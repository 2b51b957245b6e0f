import { Schema, type Connection, type Model, type Types } from 'mongoose';
import { ROLES, type Connection as Page, type Edge, type Role } from '@psa/shared';

/** A user as stored (lean). */
export interface UserRecord {
  _id: Types.ObjectId;
  /** Lower-case; unique. */
  username: string;
  /** As entered. */
  email: string;
  /** Lower-case email: the unique key. */
  emailKey: string;
  displayName: string | null;
  role: Role;
  passwordHash: string;
  /** When an admin last changed the role (null: never); re-marked in Redis after an outage. */
  roleChangedAt?: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

const userSchema = new Schema<UserRecord>(
  {
    username: { type: String, required: true },
    email: { type: String, required: true },
    emailKey: { type: String, required: true },
    displayName: { type: String, default: null },
    role: { type: String, enum: ROLES, required: true, default: 'MEMBER' },
    passwordHash: { type: String, required: true },
    roleChangedAt: { type: Date, default: null },
  },
  { timestamps: true, collection: 'users' },
);

// Uniqueness is case-insensitive because both keys are stored lower-case.
userSchema.index({ username: 1 }, { unique: true });
userSchema.index({ emailKey: 1 }, { unique: true });
// users(first, after): the stable page order, alone and after a role filter.
userSchema.index({ createdAt: 1, _id: 1 });
userSchema.index({ role: 1, createdAt: 1, _id: 1 });
// Role changes of the last access-token lifetime, marked in Redis again once it is back.
userSchema.index({ roleChangedAt: 1 });

export type UserModel = Model<UserRecord>;

/** The User model on the service's own connection. */
export const userModel = (connection: Connection): UserModel =>
  connection.models.User ?? connection.model<UserRecord>('User', userSchema);

/** Shapes the GraphQL layer resolves from (GraphQL Code Generator mappers). */
export type UserConnectionRecord = Page<UserRecord>;
export type UserEdgeRecord = Edge<UserRecord>;
