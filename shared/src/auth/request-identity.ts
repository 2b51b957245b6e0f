import type { IncomingHttpHeaders } from 'node:http';
import { UnauthenticatedError } from '../errors/domain-error';
import { bearerToken, type Identity, type TokenSettings } from './access-token';
import type { KeySet } from './key-set';

/** The caller as a subgraph knows it: from the forwarded token only, never from other headers. */
export interface Caller {
  identity: Identity | null;
  /** Why a presented token was refused (null when none was presented or it was valid). */
  authError: UnauthenticatedError | null;
}

/** Reads and verifies the bearer token in the request headers. Never rejects. */
export async function callerFrom(
  headers: IncomingHttpHeaders,
  keys: KeySet,
  settings: Pick<TokenSettings, 'issuer' | 'audience'>,
): Promise<Caller> {
  const header = headers.authorization;
  if (!header) return { identity: null, authError: null };
  const token = bearerToken(header);
  if (!token)
    return {
      identity: null,
      authError: new UnauthenticatedError('Authorization must be "Bearer <access token>"'),
    };
  try {
    return { identity: await keys.verify(token, settings), authError: null };
  } catch (error) {
    return {
      identity: null,
      authError:
        error instanceof UnauthenticatedError
          ? error
          : new UnauthenticatedError('Invalid access token'),
    };
  }
}

/** The signed-in caller, or UNAUTHENTICATED (with the token's problem when one was presented). */
export function requireIdentity(caller: Caller): Identity {
  if (caller.identity) return caller.identity;
  throw caller.authError ?? new UnauthenticatedError();
}
