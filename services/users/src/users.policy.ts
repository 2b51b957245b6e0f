/**
 * Who may do what in the users service: every rule of the service, in one place. The resolvers
 * call these; the `@auth` directives in schema.graphql only let the gateway refuse what the token
 * alone rules out.
 *
 * | action                                                      | who                          |
 * |-------------------------------------------------------------|------------------------------|
 * | sign up, log in, refresh a session                          | anyone (rate limited at the  |
 * |                                                             | gateway)                     |
 * | read users (`me`, `user`, `users`), their names and roles   | anyone signed in             |
 * | read a user's email                                         | the user and admins          |
 * | update one's profile, change one's password, delete one's   | the user themselves          |
 * | account, log out                                            |                              |
 * | change someone's role                                       | admins                       |
 *
 * Keeping at least one admin is not a permission but an invariant: the domain refuses it with
 * CONFLICT.
 */
import { ForbiddenError, hasRole, requireIdentity, type Caller } from '@psa/shared';

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
