import type DataLoader from 'dataloader';
import type { ProjectAccess, SubgraphContextBase, TokenStanding } from '@psa/shared';
import type { UserRecord } from './models/user.model';
import type { SessionsDomain } from './sessions-domain';
import type { UsersDomain } from './users-domain';

/** Per-request context of the users subgraph. */
export interface UsersContext extends SubgraphContextBase {
  loaders: { user: DataLoader<string, UserRecord | null> };
  domain: UsersDomain;
  /** Who manages or belongs to which project (ADR 0004): whom a CLIENT may see. */
  access: ProjectAccess;
  sessions: SessionsDomain;
  /**
   * The user a signUp/login/refreshSession in this request just authenticated: the payload's
   * `user` is theirs, so they see their own private fields although the request carried no token.
   */
  signedInUserId: string | null;
  /** Verifies an access token and reads its standing from the database (`sessionStanding`). */
  sessionStanding(accessToken: string): Promise<TokenStanding>;
}
