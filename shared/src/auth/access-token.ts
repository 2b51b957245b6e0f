import { randomUUID } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { UnauthenticatedError } from '../errors/domain-error';
import { JWT_ALGORITHM, type SigningKey, type VerificationKey } from './signing-keys';

/** The roles, highest first. ADMIN ⊇ MANAGER ⊇ MEMBER; CLIENT is an outside stakeholder. */
export const ROLES = ['ADMIN', 'MANAGER', 'MEMBER', 'CLIENT'] as const;
export type Role = (typeof ROLES)[number];

/** Who is calling, as an access token says. */
export interface Identity {
  userId: string;
  role: Role;
  sessionId: string;
  tokenId: string;
  /** When the token was issued (seconds since the epoch). */
  issuedAt: number;
  /** When the token expires (seconds since the epoch). */
  expiresAt: number;
}

export interface TokenSettings {
  issuer: string;
  audience: string;
  /** Access token lifetime in seconds (15 minutes in production). */
  ttlSeconds: number;
}

/** Signs an access token: ES256 with `kid`, claims `sub role sid iss aud iat exp jti`. */
export function signAccessToken(
  subject: { userId: string; role: Role; sessionId: string },
  key: SigningKey,
  settings: TokenSettings,
): { token: string; expiresAt: Date } {
  const now = Math.floor(Date.now() / 1000);
  const exp = now + settings.ttlSeconds;
  const token = jwt.sign(
    { role: subject.role, sid: subject.sessionId, iat: now, exp },
    key.privateKey,
    {
      algorithm: JWT_ALGORITHM,
      keyid: key.kid,
      subject: subject.userId,
      issuer: settings.issuer,
      audience: settings.audience,
      jwtid: randomUUID(),
    },
  );
  return { token, expiresAt: new Date(exp * 1000) };
}

const isRole = (value: unknown): value is Role =>
  typeof value === 'string' && (ROLES as readonly string[]).includes(value);

/**
 * The key id an access token names, read from its unverified header. Throws UnauthenticatedError
 * when the token is no JWT or names another algorithm than ES256 (e.g. `none`, HS256).
 */
export function accessTokenKeyId(token: string): string {
  const decoded = jwt.decode(token, { complete: true });
  const kid = decoded?.header.kid;
  if (!decoded || decoded.header.alg !== JWT_ALGORITHM || typeof kid !== 'string') {
    throw new UnauthenticatedError('Invalid access token');
  }
  return kid;
}

/**
 * Verifies an access token with `key` (the one its `kid` names), the algorithm, issuer and
 * audience pinned. Throws UnauthenticatedError for anything that is not a valid, unexpired token
 * from us (another algorithm, a foreign key, tampered, expired, wrong audience, missing claims).
 */
export function verifyAccessToken(
  token: string,
  key: VerificationKey,
  settings: Pick<TokenSettings, 'issuer' | 'audience'>,
): Identity {
  let claims: jwt.JwtPayload;
  try {
    claims = jwt.verify(token, key.publicKey, {
      algorithms: [JWT_ALGORITHM],
      issuer: settings.issuer,
      audience: settings.audience,
      complete: false,
    }) as jwt.JwtPayload;
  } catch (error) {
    throw new UnauthenticatedError(
      error instanceof jwt.TokenExpiredError ? 'Access token expired' : 'Invalid access token',
    );
  }
  const { sub, role, sid, jti, iat, exp } = claims;
  if (
    typeof sub !== 'string' ||
    !isRole(role) ||
    typeof sid !== 'string' ||
    typeof jti !== 'string' ||
    typeof iat !== 'number' ||
    typeof exp !== 'number'
  ) {
    throw new UnauthenticatedError('Invalid access token');
  }
  return { userId: sub, role, sessionId: sid, tokenId: jti, issuedAt: iat, expiresAt: exp };
}

/** The bearer token in an `Authorization` header value, or null. */
export function bearerToken(header: string | undefined): string | null {
  if (!header) return null;
  const match = /^Bearer\s+([A-Za-z0-9._~+/=-]+)$/i.exec(header.trim());
  return match?.[1] ?? null;
}

/** Role rank: ADMIN ⊇ MANAGER ⊇ MEMBER. CLIENT ranks below MEMBER and only reads what it belongs to. */
const RANK: Record<Role, number> = { ADMIN: 3, MANAGER: 2, MEMBER: 1, CLIENT: 0 };

/** True when `role` is at least `required`. */
export const hasRole = (role: Role, required: Role): boolean => RANK[role] >= RANK[required];
