import {
  callerObjectId,
  DateTimeScalar,
  requireIdentity,
  toObjectId,
  UnauthenticatedError,
  type Identity,
} from '@psa/shared';
import type { Types } from 'mongoose';
import type { Resolvers } from '../generated/resolvers-types';
import { assertMayChangeRoles, maySeeEmail, readableUser, visibleUsers } from '../users.policy';

/** The caller's session id as stored; a token whose `sid` is no session id is not one of ours. */
function callerSessionId(caller: Identity): Types.ObjectId {
  const id = toObjectId(caller.sessionId);
  if (!id) throw new UnauthenticatedError('Invalid access token');
  return id;
}

const STANDINGS = { valid: 'VALID', revoked: 'REVOKED', stale: 'STALE' } as const;

/** GraphQL resolvers of the users subgraph: they check who asks and delegate to the domain. */
export const userResolvers: Resolvers = {
  DateTime: DateTimeScalar,
  Query: {
    me: (_parent, _args, ctx) => ctx.loaders.user.load(requireIdentity(ctx.caller).userId),
    user: async (_parent, { id }, ctx) => {
      const caller = requireIdentity(ctx.caller);
      return readableUser(caller, await ctx.loaders.user.load(id), ctx.access);
    },
    sessionStanding: async (_parent, { accessToken }, ctx) =>
      STANDINGS[await ctx.sessionStanding(accessToken)],
    users: async (_parent, { first, after, filter, orderBy }, ctx) => {
      const caller = requireIdentity(ctx.caller);
      const visible = await visibleUsers(caller, ctx.access);
      return ctx.domain.listUsers(filter, { first, after }, visible, orderBy);
    },
  },
  Mutation: {
    signUp: async (_parent, { input }, ctx) => {
      const result = await ctx.domain.signUp(input);
      ctx.signedInUserId = result.user._id.toHexString();
      return result;
    },
    login: async (_parent, { input }, ctx) => {
      const result = await ctx.domain.login(input.login, input.password);
      ctx.signedInUserId = result.user._id.toHexString();
      return result;
    },
    refreshSession: async (_parent, { refreshToken }, ctx) => {
      const result = await ctx.sessions.refresh(refreshToken);
      ctx.signedInUserId = result.user._id.toHexString();
      return result;
    },
    logout: async (_parent, _args, ctx) => {
      const caller = requireIdentity(ctx.caller);
      await ctx.sessions.end(callerObjectId(caller), callerSessionId(caller));
      return true;
    },
    logoutAll: async (_parent, _args, ctx) => {
      await ctx.sessions.endAll(callerObjectId(requireIdentity(ctx.caller)));
      return true;
    },
    updateProfile: (_parent, { input }, ctx) =>
      ctx.domain.updateProfile(callerObjectId(requireIdentity(ctx.caller)), input),
    changePassword: async (_parent, { input }, ctx) => {
      const caller = requireIdentity(ctx.caller);
      await ctx.domain.changePassword(
        callerObjectId(caller),
        callerSessionId(caller),
        input.currentPassword,
        input.newPassword,
      );
      return true;
    },
    deleteAccount: async (_parent, { password }, ctx) => {
      await ctx.domain.deleteAccount(callerObjectId(requireIdentity(ctx.caller)), password);
      return true;
    },
    setUserRole: (_parent, { input }, ctx) => {
      // The gateway refuses non-admins already; a direct call must meet the same rule.
      assertMayChangeRoles(ctx.caller);
      return ctx.domain.setUserRole(input.userId, input.role);
    },
  },
  User: {
    // Other subgraphs' references (a project's manager) resolve here: only for a signed-in caller.
    __resolveReference: async (reference, ctx) => {
      requireIdentity(ctx.caller);
      return ctx.loaders.user.load(reference.id);
    },
    id: (user) => user._id.toHexString(),
    // Email is personal data: only its owner and admins see it.
    email: (user, _args, ctx) =>
      maySeeEmail(ctx.caller, user._id.toHexString(), ctx.signedInUserId) ? user.email : null,
  },
};
