import {
  BadUserInputError,
  DateTimeScalar,
  projectReference,
  requireIdentity,
  taskReference,
  userReference,
} from '@psa/shared';
import type { Resolvers } from '../generated/resolvers-types';

// The gateway serves subscriptions over WebSocket (graphql-ws) and resolves each notification
// with `notification(id)`; a subscription that reaches this subgraph (over HTTP) is a mistake.
const servedByGateway = (): never => {
  throw new BadUserInputError('Subscriptions are served by the gateway over WebSocket');
};

/** GraphQL resolvers of the notifications subgraph: they check who asks and delegate to the domain. */
export const notificationResolvers: Resolvers = {
  DateTime: DateTimeScalar,
  Query: {
    notification: (_parent, { id }, ctx) => ctx.domain.visible(requireIdentity(ctx.caller), id),
  },
  Mutation: {
    markNotificationsRead: (_parent, { input }, ctx) =>
      ctx.domain.markRead(requireIdentity(ctx.caller), input),
  },
  Subscription: {
    notificationReceived: { subscribe: servedByGateway, resolve: servedByGateway },
  },
  User: {
    __resolveReference: (reference, ctx) => {
      requireIdentity(ctx.caller);
      return { id: reference.id };
    },
    notifications: (user, { first, after, unreadOnly }, ctx) =>
      ctx.domain.list(requireIdentity(ctx.caller), user.id, { first, after, unreadOnly }),
    unreadNotificationCount: (user, _args, ctx) =>
      ctx.domain.unreadCount(requireIdentity(ctx.caller), user.id),
  },
  Notification: {
    id: (notification) => notification._id.toHexString(),
    project: (notification) =>
      notification.projectId ? projectReference(notification.projectId) : null,
    task: (notification) => (notification.taskId ? taskReference(notification.taskId) : null),
    document: (notification) =>
      notification.documentId
        ? { __typename: 'Document' as const, id: notification.documentId.toHexString() }
        : null,
    actor: (notification) => (notification.actorId ? userReference(notification.actorId) : null),
  },
};
