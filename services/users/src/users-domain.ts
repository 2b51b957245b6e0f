import { createHash, randomBytes } from 'node:crypto';
import {
  BadUserInputError,
  ConflictError,
  isDuplicateKeyError,
  optionalText,
  paginate,
  signAccessToken,
  UnauthenticatedError,
  type Connection,
  type ConnectionArgs,
  type Logger,
  type Role,
  type SigningKey,
  type TokenSettings,
} from '@psa/shared';
import { trusted, type Types } from 'mongoose';
import type { SessionModel } from './models/session.model';
import type { UserModel, UserRecord } from './models/user.model';
import { hashPassword, verifyPassword } from './password';

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

export interface AuthResult {
  accessToken: string;
  refreshToken: string;
  expiresAt: Date;
  user: UserRecord;
}

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

/** NIST SP 800-63B-4: at least 15 characters for a single-factor password, any characters. */
export function checkPassword(password: string, field: string): void {
  if ([...password].length < PASSWORD_MIN || [...password].length > PASSWORD_MAX) {
    throw new BadUserInputError(
      `password must be ${PASSWORD_MIN}–${PASSWORD_MAX} characters`,
      field,
    );
  }
}

const escapeRegex = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

/**
 * The users service's rules, apart from GraphQL: accounts, passwords and sessions.
 * Every input is validated before anything is written.
 */
export class UsersDomain {
  constructor(
    private readonly users: UserModel,
    private readonly sessions: SessionModel,
    private readonly signingKey: SigningKey,
    private readonly tokens: TokenSettings & { refreshTtlDays: number },
    private readonly logger: Logger,
  ) {}

  async signUp(input: SignUpInput): Promise<AuthResult> {
    const user = await this.createUser(input, 'MEMBER');
    return this.startSession(user);
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
    return this.startSession(user);
  }

  async listUsers(
    filter: UserFilter | null | undefined,
    args: ConnectionArgs,
  ): Promise<Connection<UserRecord>> {
    const query: Record<string, unknown> = {};
    if (filter?.role) query.role = filter.role;
    const search = filter?.search?.trim();
    if (search) {
      if (search.length > 100)
        throw new BadUserInputError('search must be at most 100 characters', 'filter.search');
      const prefix = trusted(new RegExp(`^${escapeRegex(search)}`, 'i'));
      query.$or = [{ username: prefix }, { displayName: prefix }];
    }
    return paginate(this.users, query, args);
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
      });
      return created.toObject<UserRecord>();
    } catch (error) {
      if (isDuplicateKeyError(error)) {
        const field = Object.keys(error.keyValue ?? {})[0] === 'emailKey' ? 'email' : 'username';
        throw new ConflictError(`${field} is already taken`, `input.${field}`);
      }
      throw error;
    }
  }

  private async startSession(user: UserRecord): Promise<AuthResult> {
    const refreshToken = randomBytes(32).toString('base64url');
    const session = await this.sessions.create({
      userId: user._id as Types.ObjectId,
      refreshTokenHash: sha256(refreshToken),
      expiresAt: new Date(Date.now() + this.tokens.refreshTtlDays * 86_400_000),
    });
    const { token, expiresAt } = signAccessToken(
      { userId: user._id.toHexString(), role: user.role, sessionId: session._id.toHexString() },
      this.signingKey,
      this.tokens,
    );
    return { accessToken: token, refreshToken, expiresAt, user };
  }
}

// A valid hash of a random password, verified against when the user does not exist.
const DUMMY_HASH =
  'scrypt$131072$8$1$AAAAAAAAAAAAAAAAAAAAAA==$2QmT8qUuJvVd1jq1r9z1o8mA1s5p5yXW8cY2nS6y0aE=';
