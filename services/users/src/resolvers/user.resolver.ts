import { DateTimeScalar, requireIdentity } from '@psa/shared';
import type { Resolvers } from '../generated/resolvers-types';

/** GraphQL resolvers of the users subgraph: they check who asks and delegate to the domain. */
export const userResolvers: Resolvers = {
  DateTime: DateTimeScalar,
  Query: {
    me: (_parent, _args, ctx) => ctx.loaders.user.load(requireIdentity(ctx.caller).userId),
    user: (_parent, { id }, ctx) => {
      requireIdentity(ctx.caller);
      return ctx.loaders.user.load(id);
    },
    users: (_parent, { first, after, filter }, ctx) => {
      requireIdentity(ctx.caller);
      return ctx.domain.listUsers(filter, { first, after });
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
  },
  User: {
    // Other subgraphs' references (a project's manager) resolve here: only for a signed-in caller.
    __resolveReference: async (reference, ctx) => {
      requireIdentity(ctx.caller);
      return ctx.loaders.user.load(reference.id);
    },
    id: (user) => user._id.toHexString(),
    // Email is personal data: only its owner and admins see it.
    email: (user, _args, ctx) => {
      const id = user._id.toHexString();
      const caller = ctx.caller.identity;
      const allowed =
        ctx.signedInUserId === id ||
        (caller !== null && (caller.userId === id || caller.role === 'ADMIN'));
      return allowed ? user.email : null;
    },
  },
};
