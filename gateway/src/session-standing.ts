import { createHash } from 'node:crypto';
import type { ApolloServerPlugin } from '@apollo/server';
import type { Fetcher } from '@apollo/utils.fetcher';
import type { Identity, StandingSource, TokenStanding } from '@psa/shared';
import { afterMutationPlugin } from './after-mutation.plugin';
import type { GatewayContext } from './gateway-context';

const QUERY = 'query PsaSessionStanding($t: String!) { sessionStanding(accessToken: $t) }';

const STANDINGS: Record<string, TokenStanding> = {
  VALID: 'valid',
  REVOKED: 'revoked',
  STALE: 'stale',
};

/** Mutations after which the caller's cached standings are out of date. */
const ENDS_SESSIONS = new Set(['logout', 'logoutAll', 'changePassword', 'deleteAccount']);

/**
 * Session standings from the users service, the authoritative record Redis caches: what the
 * gateway asks while Redis cannot answer, so signed-in users keep working through an outage.
 * Answers are kept for `cacheMs` per token; a session ended through this gateway is forgotten at
 * once ({@link forgetEndedSessionsPlugin}), one ended elsewhere within `cacheMs`.
 */
export class UsersSessionStanding implements StandingSource {
  private readonly cache = new Map<
    string,
    { standing: TokenStanding; userId: string; expires: number }
  >();

  constructor(
    private readonly usersUrl: string,
    private readonly fetcher: Fetcher,
    private readonly cacheMs: number,
  ) {}

  async standing(identity: Identity, accessToken?: string): Promise<TokenStanding> {
    if (!accessToken) throw new Error('no access token to ask the users service about');
    const key = createHash('sha256').update(accessToken).digest('base64url');
    const now = Date.now();
    const cached = this.cache.get(key);
    if (cached && cached.expires > now) return cached.standing;
    const response = await this.fetcher(this.usersUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: QUERY, variables: { t: accessToken } }),
    });
    const body = (await response.json()) as {
      data?: { sessionStanding?: string } | null;
      errors?: { message: string }[];
    };
    const standing = STANDINGS[body.data?.sessionStanding ?? ''];
    if (!standing) {
      throw new Error(
        `users service gave no session standing (${body.errors?.[0]?.message ?? response.status})`,
      );
    }
    if (this.cache.size > 10_000) this.sweep(now);
    this.cache.set(key, { standing, userId: identity.userId, expires: now + this.cacheMs });
    return standing;
  }

  /** Drops what is cached for `userId`'s tokens (their session ended through this gateway). */
  forget(userId: string): void {
    for (const [key, entry] of this.cache) if (entry.userId === userId) this.cache.delete(key);
  }

  private sweep(now: number): void {
    for (const [key, entry] of this.cache) if (entry.expires <= now) this.cache.delete(key);
  }
}

/** After a logout (or another mutation that ends sessions) succeeds, its caller is forgotten. */
export function forgetEndedSessionsPlugin(
  standings: UsersSessionStanding,
): ApolloServerPlugin<GatewayContext> {
  return afterMutationPlugin(ENDS_SESSIONS, (identity) => standings.forget(identity.userId));
}
