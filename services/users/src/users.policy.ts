/**
 * Who may do what in the users service: every rule of the service, in one place. The resolvers
 * call these; the `@auth` directives in schema.graphql only let the gateway refuse what the token
 * alone rules out.
 *
 * | action                                                      | who                          |
 * |-------------------------------------------------------------|------------------------------|
 * | sign up, log in, refresh a session                          | anyone (rate limited at the  |
 * |                                                             | gateway)                     |
 * | read oneself (`me`)                                         | anyone signed in             |
 * | list, search and read users (`users`, `user`), their names  | ADMIN, MANAGER and MEMBER:   |
 * | and roles                                                   | everyone; a CLIENT: the      |
 * |                                                             | people who share a project   |
 * |                                                             | with them (its manager and   |
 * |                                                             | members), and themselves     |
 * | read a user's email                                         | the user and admins          |
 * | update one's profile, change one's password, delete one's   | the user themselves          |
 * | account, log out                                            |                              |
 * | change someone's role                                       | admins                       |
 *
 * A user the caller may not see is NOT_FOUND, as one that does not exist. Users reached through
 * another subgraph's reference (a project's manager, a document's owner) resolve for any signed-in
 * caller: the caller already sees what refers to them. Project membership comes from the
 * service's read model of project access (ADR 0004).
 *
 * Keeping at least one admin is not a permission but an invariant: the domain refuses it with
 * CONFLICT.
 */
import {
  callerObjectId,
  ForbiddenError,
  hasRole,
  NotFoundError,
  requireIdentity,
  type Caller,
  type Identity,
  type ProjectAccess,
} from '@psa/shared';
import { trusted, type QueryFilter } from 'mongoose';
import type { UserRecord } from './models/user.model';

/**
 * Does `caller` see every user? The firm's own people (MEMBER and up) do; a CLIENT, an outside
 * stakeholder, must not learn who else works there.
 */
export const seesEveryUser = (caller: Identity): boolean => hasRole(caller.role, 'MEMBER');

/**
 * The users `caller` may list or read, as a filter on `users`: everyone, or for a CLIENT the
 * people who share a live project with them, and themselves.
 */
export async function visibleUsers(
  caller: Identity,
  access: ProjectAccess,
): Promise<QueryFilter<UserRecord>> {
  if (seesEveryUser(caller)) return {};
  const self = callerObjectId(caller);
  const people = await access.peopleSharingProjectsWith(self);
  return { _id: trusted({ $in: [self, ...people] }) };
}

/** `user` when `caller` may see them; NOT_FOUND when missing or hidden alike. */
export async function readableUser(
  caller: Identity,
  user: UserRecord | null,
  access: ProjectAccess,
): Promise<UserRecord> {
  if (user && seesEveryUser(caller)) return user;
  if (user) {
    const self = callerObjectId(caller);
    if (user._id.equals(self)) return user;
    const people = await access.peopleSharingProjectsWith(self);
    if (people.some((id) => id.equals(user._id))) return user;
  }
  throw new NotFoundError('User not found');
}

/** FORBIDDEN unless the caller may change roles; UNAUTHENTICATED when not signed in. */
export function assertMayChangeRoles(caller: Caller): void {
  if (!hasRole(requireIdentity(caller).role, 'ADMIN')) {
    throw new ForbiddenError('Only an admin can change roles');
  }
}

/**
 * May the caller see user `userId`'s email? Its owner (also right after signing up or logging
 * in, before they hold a token: `signedInUserId`) and admins.
 */
export function maySeeEmail(
  caller: Caller,
  userId: string,
  signedInUserId: string | null,
): boolean {
  const identity = caller.identity;
  return (
    signedInUserId === userId ||
    (identity !== null && (identity.userId === userId || identity.role === 'ADMIN'))
  );
}
