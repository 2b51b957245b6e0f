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

/** Who is calling, as far as the gateway will vouch for it. */
export type CallerCheck =
  | { status: 'anonymous' }
  | { status: 'signed-in'; identity: Identity }
  /** A token was presented and is not accepted; `reason` is safe to show to the client. */
  | { status: 'refused'; reason: string };

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
  const token = bearerToken(authorization);
  if (!token) return { status: 'refused', reason: 'Authorization must be "Bearer <access token>"' };
  let identity: Identity;
  try {
    identity = await options.keySet.verify(token, options.tokenSettings);
  } catch (error) {
    return {
      status: 'refused',
      reason: error instanceof UnauthenticatedError ? error.message : 'Invalid access token',
    };
  }
  let standing: TokenStanding;
  try {
    standing = await options.revocations.standing(identity);
  } catch (error) {
    options.logger.warn({ err: error }, 'revocation store unavailable: refusing the token');
    return { status: 'refused', reason: 'Cannot check the session right now' };
  }
  switch (standing) {
    case 'valid':
      return { status: 'signed-in', identity };
    case 'revoked':
      return { status: 'refused', reason: 'Session has ended' };
    case 'stale':
      return { status: 'refused', reason: 'Role changed: refresh the session' };
    default: {
      const unknown: never = standing;
      throw new Error(`unknown token standing ${String(unknown)}`);
    }
  }
}
