import { BadUserInputError, DateTimeScalar, requireIdentity, userReference } from '@psa/shared';
import type { ProjectsContext } from '../context';
import type { Resolvers } from '../generated/resolvers-types';
import type { StatusUpdateRecord } from '../models/status-update.model';
import {
  assertMayCreateProject,
  readableProject,
  readableStatusUpdate,
  readersOf,
} from '../projects.policy';

/** Status update `id` when the caller may see its project; NOT_FOUND otherwise. */
async function visibleStatusUpdate(ctx: ProjectsContext, id: string): Promise<StatusUpdateRecord> {
  const caller = requireIdentity(ctx.caller);
  const update = await ctx.loaders.statusUpdate.load(id);
  const project = update ? await ctx.loaders.project.load(update.projectId.toHexString()) : null;
  return readableStatusUpdate(caller, update, project);
}

// The gateway serves subscriptions over WebSocket (graphql-ws) and resolves each event with a
// query; a subscription that reaches this subgraph (over HTTP) is a mistake, answered clearly.
const servedByGateway = (): never => {
  throw new BadUserInputError('Subscriptions are served by the gateway over WebSocket');
};

/** GraphQL resolvers of the projects subgraph: they check who asks and delegate to the domain. */
export const projectResolvers: Resolvers = {
  DateTime: DateTimeScalar,
  Query: {
    project: async (_parent, { id }, ctx) => {
      const caller = requireIdentity(ctx.caller);
      return readableProject(caller, await ctx.loaders.project.load(id));
    },
    projects: (_parent, { first, after, filter, orderBy }, ctx) =>
      ctx.domain.listProjects(requireIdentity(ctx.caller), filter, { first, after }, orderBy),
    statusUpdate: (_parent, { id }, ctx) => visibleStatusUpdate(ctx, id),
    projectReaders: async (_parent, { projectId }, ctx) => {
      const caller = requireIdentity(ctx.caller);
      return readersOf(readableProject(caller, await ctx.loaders.project.load(projectId)));
    },
  },
  Mutation: {
    createProject: (_parent, { input }, ctx) => {
      const caller = requireIdentity(ctx.caller);
      // The gateway refuses this by @auth already; a subgraph does not rely on what is in front of it.
      assertMayCreateProject(caller);
      return ctx.domain.createProject(caller, input, ctx.idempotencyKey);
    },
    updateProject: (_parent, { input }, ctx) =>
      ctx.domain.updateProject(requireIdentity(ctx.caller), input),
    deleteProject: (_parent, { id }, ctx) =>
      ctx.domain.deleteProject(requireIdentity(ctx.caller), id),
    addProjectMember: (_parent, { input }, ctx) =>
      ctx.domain.addMember(requireIdentity(ctx.caller), input),
    removeProjectMember: (_parent, { input }, ctx) =>
      ctx.domain.removeMember(requireIdentity(ctx.caller), input),
    postStatusUpdate: (_parent, { input }, ctx) =>
      ctx.domain.postStatusUpdate(requireIdentity(ctx.caller), input, ctx.idempotencyKey),
  },
  Subscription: {
    statusUpdated: { subscribe: servedByGateway, resolve: servedByGateway },
  },
  Project: {
    // References come from other subgraphs' entities (a task's project): the same visibility holds.
    __resolveReference: async (reference, ctx) => {
      const caller = requireIdentity(ctx.caller);
      return readableProject(caller, await ctx.loaders.project.load(reference.id));
    },
    id: (project) => project._id.toHexString(),
    manager: (project) => userReference(project.managerId),
    members: (project) => project.memberIds.map(userReference),
    // The parent project was checked as visible to the caller: its updates are too.
    statusUpdates: (project, { first, after }, ctx) =>
      ctx.domain.listStatusUpdates(project._id, { first, after }),
  },
  StatusUpdate: {
    // A status update is visible exactly when its project is.
    __resolveReference: (reference, ctx) => visibleStatusUpdate(ctx, reference.id),
    id: (update) => update._id.toHexString(),
    project: async (update, _args, ctx) =>
      readableProject(
        requireIdentity(ctx.caller),
        await ctx.loaders.project.load(update.projectId.toHexString()),
      ),
    author: (update) => userReference(update.authorId),
    timestamp: (update) => update.createdAt,
  },
  User: {
    // The users subgraph owns users: here a reference is its id, and the fields below build on it.
    __resolveReference: (reference, ctx) => {
      requireIdentity(ctx.caller);
      return { id: reference.id };
    },
    projects: (user, { first, after }, ctx) =>
      ctx.domain.userProjects(requireIdentity(ctx.caller), user.id, false, { first, after }),
    managedProjects: (user, { first, after }, ctx) =>
      ctx.domain.userProjects(requireIdentity(ctx.caller), user.id, true, { first, after }),
  },
};
