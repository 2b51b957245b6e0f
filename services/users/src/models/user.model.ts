import { Schema, type Connection, type Model, type Types } from 'mongoose';
import { NAME_COLLATION, ROLES, type Connection as Page, type Edge, type Role } from '@psa/shared';

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
  /**
   * Every start of every word of the username and display name (folded: lower case, no
   * diacritics): what lets the text index find "Alice" from "ali" as a user types. Kept by the
   * users domain on each write of either name; see {@link nameTerms}.
   */
  nameTerms?: string[];
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
    nameTerms: { type: [String], default: undefined },
  },
  { timestamps: true, collection: 'users' },
);

// Uniqueness is case-insensitive because both keys are stored lower-case.
userSchema.index({ username: 1 }, { unique: true });
userSchema.index({ emailKey: 1 }, { unique: true });
// users(first, after): the stable page order, alone and after a role filter.
userSchema.index({ createdAt: 1, _id: 1 });
userSchema.index({ role: 1, createdAt: 1, _id: 1 });
// users(orderBy: USERNAME | DISPLAY_NAME): each name in its case-insensitive order, the index
// under the query's collation (MongoDB uses an index for strings only under its own collation).
userSchema.index({ username: 1, _id: 1 }, { collation: NAME_COLLATION });
userSchema.index({ displayName: 1, _id: 1 }, { collation: NAME_COLLATION });
// users(filter: {search}): the collection's one text index. No language (no stemming, no stop
// words: names are not English prose). A whole word of a name weighs ten times a word's start, so
// "alice" ranks Alice above Alicia, and "ali" finds both.
userSchema.index(
  { username: 'text', displayName: 'text', nameTerms: 'text' },
  {
    name: 'search',
    weights: { username: 10, displayName: 10, nameTerms: 1 },
    default_language: 'none',
  },
);
// Role changes of the last access-token lifetime, marked in Redis again once it is back.
userSchema.index({ roleChangedAt: 1 });

export type UserModel = Model<UserRecord>;

// A word's longest start that is indexed: usernames are at most 32 characters.
const TERM_MAX = 32;

/**
 * The words of `text` as the text index sees them: split at anything that is not a letter, mark or
 * digit (MongoDB's word boundaries), lower case without diacritics, each at most 32 characters.
 */
export function nameWords(text: string | null | undefined): string[] {
  const words: string[] = [];
  for (const word of (text ?? '').split(/[^\p{L}\p{M}\p{N}]+/u)) {
    const folded = [
      ...word
        .toLowerCase()
        .normalize('NFD')
        .replace(/\p{M}+/gu, ''),
    ];
    if (folded.length > 0) words.push(folded.slice(0, TERM_MAX).join(''));
  }
  return words;
}

/** Every start (one character to the whole word) of every word of `names`, each once. */
export function nameTerms(...names: (string | null | undefined)[]): string[] {
  const terms = new Set<string>();
  for (const word of names.flatMap(nameWords)) {
    for (let length = 1; length <= word.length; length++) terms.add(word.slice(0, length));
  }
  return [...terms];
}

/** The User model on the service's own connection. */
export const userModel = (connection: Connection): UserModel =>
  connection.models.User ?? connection.model<UserRecord>('User', userSchema);

/** Shapes the GraphQL layer resolves from (GraphQL Code Generator mappers). */
export type UserConnectionRecord = Page<UserRecord>;
export type UserEdgeRecord = Edge<UserRecord>;
