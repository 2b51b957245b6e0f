import { DateTimeScalar, requireIdentity } from '@psa/shared';
import type { Types } from 'mongoose';
import type { Resolvers } from '../generated/resolvers-types';
import { isOverdue } from '../tasks-domain';

// Users and projects live in other subgraphs: the gateway resolves these references there.
const userRef = (id: Types.ObjectId) => ({ __typename: 'User' as const, id: id.toHexString() });
const projectRef = (id: Types.ObjectId) => ({
  __typename: 'Project' as const,
  id: id.toHexString(),
});

/** GraphQL resolvers of the tasks subgraph: they check who asks and delegate to the domain. */
export const taskResolvers: Resolvers = {
  DateTime: DateTimeScalar,
  Query: {
    task: async (_parent, { id }, ctx) => {
      requireIdentity(ctx.caller);
      return ctx.domain.existingTask(await ctx.loaders.task.load(id));
    },
  },
  Mutation: {
    createTask: (_parent, { input }, ctx) =>
      ctx.domain.createTask(requireIdentity(ctx.caller), input),
  },
  Task: {
    __resolveReference: async (reference, ctx) => {
      requireIdentity(ctx.caller);
      return ctx.domain.existingTask(await ctx.loaders.task.load(reference.id));
    },
    id: (task) => task._id.toHexString(),
    project: (task) => projectRef(task.projectId),
    assignee: (task) => (task.assigneeId ? userRef(task.assigneeId) : null),
    createdBy: (task) => userRef(task.createdById),
    overdue: (task) => isOverdue(task),
  },
};
