import {
  allOf,
  BadUserInputError,
  ConflictError,
  emptyConnection,
  isDuplicateKeyError,
  NotFoundError,
  optionalText,
  assertUnorderedSearch,
  paginate,
  paginateByName,
  paginateSearch,
  requiredId,
  textSearch,
  UnauthenticatedError,
  type Connection,
  type ConnectionArgs,
  type Logger,
  type Outbox,
  type ProjectAccess,
  type Role,
} from '@psa/shared';
import { trusted, type QueryFilter, type Types } from 'mongoose';
import { nameTerms, nameWords, type UserModel, type UserRecord } from './models/user.model';
import { hashPassword, verifyPassword } from './password';
import type { AuthResult, SessionsDomain } from './sessions-domain';
import { USER_DELETED_TOPIC } from './user-deleted.relay';

const USERNAME = /^[a-z0-9_.-]{3,32}$/;
// Pragmatic address syntax: one @, no spaces, a dot in the domain; the mailbox proves the rest.
const EMAIL = /^[^\s@]{1,64}@[^\s@.]+(\.[^\s@.]+)+$/;
const PASSWORD_MIN = 15;
const PASSWORD_MAX = 256;
const DISPLAY_NAME_MAX = 100;

export interface SignUpInput {
  username: string;
  email: string;
  password: string;
  displayName?: string | null;
}

export interface UpdateProfileInput {
  displayName?: string | null;
  email?: string | null;
}

/** The orders of users(orderBy). */
export type UserOrder = 'CREATED_AT' | 'USERNAME' | 'DISPLAY_NAME';

export interface UserFilter {
  role?: Role | null;
  search?: string | null;
}

function normalizeUsername(raw: string): string {
  const username = raw.trim().toLowerCase();
  if (!USERNAME.test(username)) {
    throw new BadUserInputError(
      'username must be 3–32 characters of a-z, 0-9, _ . -',
      'input.username',
    );
  }
  return username;
}

function normalizeEmail(raw: string): { email: string; emailKey: string } {
  const email = raw.trim();
  if (email.length > 254 || !EMAIL.test(email))
    throw new BadUserInputError('email is not a valid address', 'input.email');
  return { email, emailKey: email.toLowerCase() };
}

/** A duplicate-key error on `users` as the CONFLICT naming the input field that collided. */
function conflictFrom(error: Error & { keyValue?: Record<string, unknown> }): ConflictError {
  const field = Object.keys(error.keyValue ?? {})[0] === 'emailKey' ? 'email' : 'username';
  return new ConflictError(`${field} is already taken`, `input.${field}`);
}

/** NIST SP 800-63B-4: at least 15 characters for a single-factor password, any characters. */
export function checkPassword(password: string, field: string): void {
  if ([...password].length < PASSWORD_MIN || [...password].length > PASSWORD_MAX) {
    throw new BadUserInputError(
      `password must be ${PASSWORD_MIN}–${PASSWORD_MAX} characters`,
      field,
    );
  }
}

/**
 * The users service's rules, apart from GraphQL: accounts, passwords and sessions.
 * Every input is validated before anything is written.
 */
export class UsersDomain {
  /**
   * @param access which projects each user manages, kept from the projects service's
   *   `project.access-changed` events
   * @param outbox announces deleted accounts (`user.deleted`) to the other services
   */
  constructor(
    private readonly users: UserModel,
    private readonly sessions: SessionsDomain,
    private readonly access: ProjectAccess,
    private readonly outbox: Outbox,
    private readonly logger: Logger,
  ) {}

  async signUp(input: SignUpInput): Promise<AuthResult> {
    const user = await this.createUser(input, 'MEMBER');
    return this.sessions.start(user);
  }

  async login(login: string, password: string): Promise<AuthResult> {
    const key = login.trim().toLowerCase();
    const user = await this.users
      .findOne(key.includes('@') ? { emailKey: key } : { username: key })
      .lean<UserRecord>()
      .exec();
    // Hash even for unknown users so the answer time does not reveal which usernames exist.
    const ok = await verifyPassword(password, user?.passwordHash ?? DUMMY_HASH);
    if (!user || !ok) throw new UnauthenticatedError('Wrong username/email or password');
    return this.sessions.start(user);
  }

  /** Changes the caller's display name and/or email; absent fields stay as they are. */
  async updateProfile(userId: Types.ObjectId, input: UpdateProfileInput): Promise<UserRecord> {
    const changes: Partial<Pick<UserRecord, 'displayName' | 'email' | 'emailKey' | 'nameTerms'>> =
      {};
    if (input.displayName !== undefined) {
      changes.displayName = optionalText(input.displayName, 'input.displayName', DISPLAY_NAME_MAX);
      // The username never changes, so the terms can be computed before the update.
      const { username } = await this.existingUser(userId);
      changes.nameTerms = nameTerms(username, changes.displayName);
    }
    if (input.email !== undefined) {
      if (input.email === null)
        throw new BadUserInputError('email cannot be removed', 'input.email');
      Object.assign(changes, normalizeEmail(input.email));
    }
    if (!Object.keys(changes).length) return this.existingUser(userId);
    try {
      const user = await this.users
        .findByIdAndUpdate(userId, { $set: changes }, { returnDocument: 'after' })
        .lean<UserRecord>()
        .exec();
      if (!user) throw new UnauthenticatedError('Your account no longer exists');
      return user;
    } catch (error) {
      if (isDuplicateKeyError(error)) throw conflictFrom(error);
      throw error;
    }
  }

  /**
   * Sets a new password after checking the current one, and ends the user's other sessions: who
   * changes a password because it leaked wants everyone else out. The calling session stays.
   */
  async changePassword(
    userId: Types.ObjectId,
    sessionId: Types.ObjectId,
    currentPassword: string,
    newPassword: string,
  ): Promise<void> {
    checkPassword(newPassword, 'input.newPassword');
    const user = await this.existingUser(userId);
    if (!(await verifyPassword(currentPassword, user.passwordHash))) {
      throw new BadUserInputError('current password is wrong', 'input.currentPassword');
    }
    const passwordHash = await hashPassword(newPassword);
    await this.users.updateOne({ _id: userId }, { $set: { passwordHash } }).exec();
    await this.sessions.endAll(userId, sessionId);
  }

  /**
   * Deletes the user after checking their password; all their sessions end and the other services
   * hear of it (`user.deleted`: their tasks are unassigned). CONFLICT, changing nothing, for the
   * last admin and for a user who still manages projects (an admin gives those another manager
   * first).
   */
  async deleteAccount(userId: Types.ObjectId, password: string): Promise<void> {
    const user = await this.existingUser(userId);
    if (!(await verifyPassword(password, user.passwordHash))) {
      throw new BadUserInputError('password is wrong', 'password');
    }
    if (user.role === 'ADMIN' && (await this.users.countDocuments({ role: 'ADMIN' })) <= 1) {
      throw new ConflictError(
        'The last admin cannot delete their account; make another admin first',
      );
    }
    const managed = await this.access.managedCount(userId);
    if (managed > 0) {
      throw new ConflictError(
        `You manage ${managed} project(s): an admin must give them another manager before this account can be deleted`,
      );
    }
    // Recorded first: if the process dies after the delete, the sweeper still announces it.
    const announcement = await this.outbox.record(USER_DELETED_TOPIC, {
      userId: userId.toHexString(),
    });
    await this.sessions.deleteAll(userId);
    await this.users.deleteOne({ _id: userId }).exec();
    await this.outbox.deliver(announcement);
  }

  /**
   * Gives a user another role (the caller is an admin: the resolver checks). The user's current
   * access tokens stop working, so their next refresh carries the new role. There is always an
   * admin left: demoting the last one is a CONFLICT.
   */
  async setUserRole(rawUserId: string, role: Role): Promise<UserRecord> {
    const userId = requiredId(rawUserId, 'input.userId');
    const user = await this.users.findById(userId).lean<UserRecord>().exec();
    if (!user) throw new NotFoundError('No such user');
    if (user.role === role) return user;
    const lastAdmin = () =>
      new ConflictError('The last admin cannot give up the ADMIN role', 'input.role');
    if (user.role === 'ADMIN' && (await this.users.countDocuments({ role: 'ADMIN' })) <= 1) {
      throw lastAdmin();
    }
    const updated = await this.users
      .findOneAndUpdate(
        { _id: userId, role: user.role },
        { $set: { role, roleChangedAt: new Date() } },
        { returnDocument: 'after' },
      )
      .lean<UserRecord>()
      .exec();
    // Changed or deleted meanwhile: answer with what is there now, as if this came first.
    if (!updated) return this.users.findById(userId).lean<UserRecord>().orFail(notFound).exec();
    if (user.role === 'ADMIN' && !(await this.users.exists({ role: 'ADMIN' }))) {
      // Two admins demoted each other at once and both passed the check: undo ours.
      await this.users.updateOne({ _id: userId, role }, { $set: { role: 'ADMIN' } }).exec();
      throw lastAdmin();
    }
    await this.sessions.recordRoleChange(userId, role);
    return updated;
  }

  /**
   * A page of users matching `filter` among those `visible` lets the caller see (the policy's),
   * in the stable order or by a name (`orderBy`).
   */
  async listUsers(
    filter: UserFilter | null | undefined,
    args: ConnectionArgs,
    visible: QueryFilter<UserRecord> = {},
    orderBy?: UserOrder | null,
  ): Promise<Connection<UserRecord>> {
    const query: QueryFilter<UserRecord> = { ...visible };
    if (filter?.role) query.role = filter.role;
    const search = textSearch(filter?.search);
    assertUnorderedSearch(search, orderBy);
    if (orderBy === 'USERNAME') return paginateByName(this.users, query, 'username', args);
    if (orderBy === 'DISPLAY_NAME') return paginateByName(this.users, query, 'displayName', args);
    if (search === null) return paginate(this.users, query, args);
    // Search-as-you-type narrows: every word typed must be a word or a word's start of the
    // user's names (an equality on nameTerms each), and the text index ranks what is left.
    const words = nameWords(search);
    if (words.length === 0) return emptyConnection(args);
    const everyWord = allOf<UserRecord>([query, ...words.map((word) => ({ nameTerms: word }))]);
    return paginateSearch(this.users, everyWord, words.join(' '), args);
  }

  /**
   * Gives every user stored before names were indexed for search-as-you-type (no `nameTerms`)
   * their terms. Safe to run on every start and from several replicas: each write is the same.
   */
  async indexNames(): Promise<void> {
    const cursor = this.users
      .find({ nameTerms: trusted({ $exists: false }) })
      .select({ username: 1, displayName: 1 })
      .lean<Pick<UserRecord, '_id' | 'username' | 'displayName'>[]>()
      .cursor();
    for await (const user of cursor) {
      await this.users
        .updateOne(
          { _id: user._id, displayName: user.displayName },
          { $set: { nameTerms: nameTerms(user.username, user.displayName) } },
        )
        .exec();
    }
  }

  /**
   * Creates the first admin from configuration when no admin exists. Safe to run on every start
   * and from several replicas: the unique username makes a second creation a no-op.
   */
  async ensureAdmin(admin: { username: string; email: string; password: string }): Promise<void> {
    if (await this.users.exists({ role: 'ADMIN' })) return;
    try {
      await this.createUser({ ...admin, displayName: 'Administrator' }, 'ADMIN');
      this.logger.info({ username: admin.username }, 'created the first admin');
    } catch (error) {
      if (!(error instanceof ConflictError)) throw error;
      this.logger.warn(
        { username: admin.username },
        'ADMIN_USERNAME is taken by a non-admin user; no admin created',
      );
    }
  }

  private async createUser(input: SignUpInput, role: Role): Promise<UserRecord> {
    const username = normalizeUsername(input.username);
    const { email, emailKey } = normalizeEmail(input.email);
    checkPassword(input.password, 'input.password');
    const displayName = optionalText(input.displayName, 'input.displayName', DISPLAY_NAME_MAX);
    const passwordHash = await hashPassword(input.password);
    try {
      const created = await this.users.create({
        username,
        email,
        emailKey,
        displayName,
        role,
        passwordHash,
        nameTerms: nameTerms(username, displayName),
      });
      return created.toObject<UserRecord>();
    } catch (error) {
      if (isDuplicateKeyError(error)) throw conflictFrom(error);
      throw error;
    }
  }

  /** The signed-in user's record; a token whose user is gone is no longer a way in. */
  private async existingUser(userId: Types.ObjectId): Promise<UserRecord> {
    const user = await this.users.findById(userId).lean<UserRecord>().exec();
    if (!user) throw new UnauthenticatedError('Your account no longer exists');
    return user;
  }
}

const notFound = () => new NotFoundError('No such user');

// A valid hash of a random password, verified against when the user does not exist.
const DUMMY_HASH =
  'scrypt$131072$8$1$AAAAAAAAAAAAAAAAAAAAAA==$2QmT8qUuJvVd1jq1r9z1o8mA1s5p5yXW8cY2nS6y0aE=';
