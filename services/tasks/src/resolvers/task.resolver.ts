import {
  BadUserInputError,
  DateTimeScalar,
  projectReference,
  requireIdentity,
  userReference,
} from '@psa/shared';
import type { Resolvers } from '../generated/resolvers-types';
import { isOverdue } from '../tasks-domain';

// The gateway serves subscriptions over WebSocket (graphql-ws) and resolves each event with a
// query; a subscription that reaches this subgraph (over HTTP) is a mistake, answered clearly.
const servedByGateway = (): never => {
  throw new BadUserInputError('Subscriptions are served by the gateway over WebSocket');
};

/** GraphQL resolvers of the tasks subgraph: they check who asks and delegate to the domain. */
export const taskResolvers: Resolvers = {
  DateTime: DateTimeScalar,
  Query: {
    task: async (_parent, { id }, ctx) =>
      ctx.domain.visibleTask(requireIdentity(ctx.caller), await ctx.loaders.task.load(id)),
    taskEvent: (_parent, { id }, ctx) =>
      ctx.domain.visibleTaskEvent(requireIdentity(ctx.caller), id),
  },
  Mutation: {
    createTask: (_parent, { input }, ctx) =>
      ctx.domain.createTask(requireIdentity(ctx.caller), input, ctx.idempotencyKey),
    updateTask: (_parent, { input }, ctx) =>
      ctx.domain.updateTask(requireIdentity(ctx.caller), input),
    assignTask: (_parent, { input }, ctx) =>
      ctx.domain.assignTask(requireIdentity(ctx.caller), input),
    setTaskStatus: (_parent, { input }, ctx) =>
      ctx.domain.setTaskStatus(requireIdentity(ctx.caller), input),
    deleteTask: (_parent, { id }, ctx) => ctx.domain.deleteTask(requireIdentity(ctx.caller), id),
  },
  Subscription: {
    taskChanged: { subscribe: servedByGateway, resolve: servedByGateway },
  },
  TaskEvent: {
    // The task as the change left it, not as it is now: a deleted task still resolves.
    task: (event) => event.task,
  },
  Task: {
    // The same visibility holds when another subgraph's entity points here.
    __resolveReference: async (reference, ctx) =>
      ctx.domain.visibleTask(
        requireIdentity(ctx.caller),
        await ctx.loaders.task.load(reference.id),
      ),
    id: (task) => task._id.toHexString(),
    project: (task) => projectReference(task.projectId),
    assignee: (task) => (task.assigneeId ? userReference(task.assigneeId) : null),
    createdBy: (task) => userReference(task.createdById),
    overdue: (task) => isOverdue(task),
  },
  Project: {
    // The projects subgraph owns projects: here a reference is its id, and the fields below check
    // that the caller may see the project (through the read model).
    __resolveReference: (reference, ctx) => {
      requireIdentity(ctx.caller);
      return { id: reference.id };
    },
    tasks: (project, { first, after, filter, orderBy }, ctx) =>
      ctx.domain.projectTasks(
        requireIdentity(ctx.caller),
        project.id,
        filter,
        { first, after },
        orderBy,
      ),
    taskSummary: (project, _args, ctx) =>
      ctx.domain.taskSummary(requireIdentity(ctx.caller), project.id),
  },
  User: {
    // The users subgraph owns users: here a reference is its id, and the fields below build on it.
    __resolveReference: (reference, ctx) => {
      requireIdentity(ctx.caller);
      return { id: reference.id };
    },
    assignedTasks: (user, { first, after }, ctx) =>
      ctx.domain.assignedTasks(requireIdentity(ctx.caller), user.id, { first, after }),
  },
};
