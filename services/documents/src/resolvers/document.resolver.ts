import { DateTimeScalar, requireIdentity } from '@psa/shared';
import type { Types } from 'mongoose';
import type { Resolvers } from '../generated/resolvers-types';

// Users and projects live in other subgraphs: the gateway resolves these references there.
const userRef = (id: Types.ObjectId) => ({ __typename: 'User' as const, id: id.toHexString() });
const projectRef = (id: Types.ObjectId) => ({
  __typename: 'Project' as const,
  id: id.toHexString(),
});

/** GraphQL resolvers of the documents subgraph: they check who asks and delegate to the domain. */
export const documentResolvers: Resolvers = {
  DateTime: DateTimeScalar,
  Query: {
    document: async (_parent, { id }, ctx) => {
      const caller = requireIdentity(ctx.caller);
      return ctx.domain.visibleDocument(caller, await ctx.loaders.document.load(id));
    },
  },
  Mutation: {
    createDocument: (_parent, { input }, ctx) =>
      ctx.domain.createDocument(requireIdentity(ctx.caller), input),
  },
  Document: {
    // The same visibility holds when another subgraph's entity points here.
    __resolveReference: async (reference, ctx) => {
      const caller = requireIdentity(ctx.caller);
      return ctx.domain.visibleDocument(caller, await ctx.loaders.document.load(reference.id));
    },
    id: (document) => document._id.toHexString(),
    owner: (document) => userRef(document.ownerId),
    project: (document) => (document.projectId ? projectRef(document.projectId) : null),
    sharedWith: (document) => document.sharedWithIds.map(userRef),
  },
};
