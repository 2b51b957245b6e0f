import {
  bearerToken,
  UnauthenticatedError,
  type Identity,
  type KeySet,
  type Logger,
  type RevocationStore,
  type TokenSettings,
  type TokenStanding,
} from '@psa/shared';

/** Why a presented token is not accepted. */
export type Refusal =
  /** Not a bearer token, or one that fails verification (signature, expiry, issuer, audience). */
  | { kind: 'invalid'; reason: string }
  /** Its session ended (logout, or a stolen refresh token was replayed). */
  | { kind: 'revoked' }
  /** The user's role changed since it was issued: a refresh carries the new one. */
  | { kind: 'role-changed' }
  /** The revocation store cannot be read, so the session's standing is unknown (fail closed). */
  | { kind: 'unchecked' };

/** Who is calling, as far as the gateway will vouch for it. */
export type CallerCheck =
  | { status: 'anonymous' }
  | { status: 'signed-in'; identity: Identity }
  | { status: 'refused'; refusal: Refusal };

/** What a client is told about a refusal (safe to show: it names no key and no session). */
export function refusalMessage(refusal: Refusal): string {
  switch (refusal.kind) {
    case 'invalid':
      return refusal.reason;
    case 'revoked':
      return 'Session has ended';
    case 'role-changed':
      return 'Role changed: refresh the session';
    case 'unchecked':
      return 'Cannot check the session right now';
    default: {
      const unknown: never = refusal;
      throw new Error(`unknown refusal ${JSON.stringify(unknown)}`);
    }
  }
}

/** The refusal a session's standing in the revocation store amounts to; null when it is valid. */
export function refusalOfStanding(standing: TokenStanding): Refusal | null {
  switch (standing) {
    case 'valid':
      return null;
    case 'revoked':
      return { kind: 'revoked' };
    case 'stale':
      return { kind: 'role-changed' };
    default: {
      const unknown: never = standing;
      throw new Error(`unknown token standing ${String(unknown)}`);
    }
  }
}

export interface CallerCheckOptions {
  keySet: KeySet;
  revocations: RevocationStore;
  tokenSettings: Pick<TokenSettings, 'issuer' | 'audience'>;
  logger: Logger;
}

/**
 * Checks the `Authorization` header: a bearer token verified with the key set (algorithm, issuer
 * and audience pinned), then its session's standing in the revocation store. The store being
 * unreachable refuses the token (fail closed). Never rejects.
 */
export async function checkCaller(
  authorization: string | undefined,
  options: CallerCheckOptions,
): Promise<CallerCheck> {
  if (!authorization) return { status: 'anonymous' };
  const refused = (refusal: Refusal): CallerCheck => ({ status: 'refused', refusal });
  const token = bearerToken(authorization);
  if (!token) {
    return refused({ kind: 'invalid', reason: 'Authorization must be "Bearer <access token>"' });
  }
  let identity: Identity;
  try {
    identity = await options.keySet.verify(token, options.tokenSettings);
  } catch (error) {
    return refused({
      kind: 'invalid',
      reason: error instanceof UnauthenticatedError ? error.message : 'Invalid access token',
    });
  }
  let standing: TokenStanding;
  try {
    standing = await options.revocations.standing(identity, token);
  } catch (error) {
    options.logger.warn({ err: error }, 'revocation store unavailable: refusing the token');
    return refused({ kind: 'unchecked' });
  }
  const refusal = refusalOfStanding(standing);
  return refusal ? refused(refusal) : { status: 'signed-in', identity };
}
