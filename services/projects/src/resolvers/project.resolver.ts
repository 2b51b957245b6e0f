import { DateTimeScalar, ForbiddenError, hasRole, requireIdentity } from '@psa/shared';
import type { Types } from 'mongoose';
import type { Resolvers } from '../generated/resolvers-types';

// Users live in the users subgraph: the gateway resolves these references there.
const userRef = (id: Types.ObjectId) => ({ __typename: 'User' as const, id: id.toHexString() });

/** GraphQL resolvers of the projects subgraph: they check who asks and delegate to the domain. */
export const projectResolvers: Resolvers = {
  DateTime: DateTimeScalar,
  Query: {
    project: async (_parent, { id }, ctx) => {
      const caller = requireIdentity(ctx.caller);
      return ctx.domain.visibleProject(caller, await ctx.loaders.project.load(id));
    },
  },
  Mutation: {
    createProject: (_parent, { input }, ctx) => {
      const caller = requireIdentity(ctx.caller);
      // The gateway refuses this by @auth already; a subgraph does not rely on what is in front of it.
      if (!hasRole(caller.role, 'MANAGER')) {
        throw new ForbiddenError('Only managers and admins can create projects');
      }
      return ctx.domain.createProject(caller, input);
    },
  },
  Project: {
    // References come from other subgraphs' entities (a task's project): the same visibility holds.
    __resolveReference: async (reference, ctx) => {
      const caller = requireIdentity(ctx.caller);
      return ctx.domain.visibleProject(caller, await ctx.loaders.project.load(reference.id));
    },
    id: (project) => project._id.toHexString(),
    manager: (project) => userRef(project.managerId),
    members: (project) => project.memberIds.map(userRef),
  },
};
