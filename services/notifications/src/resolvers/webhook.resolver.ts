import { callerObjectId, DateTimeScalar } from '@psa/shared';
import type { Resolvers } from '../generated/resolvers-types';
import { mayManageWebhooks } from '../notifications.policy';

/** GraphQL resolvers of webhooks (admins only): they check who asks and delegate to the domain. */
export const webhookResolvers: Resolvers = {
  DateTime: DateTimeScalar,
  Query: {
    webhooks: (_parent, { first, after }, ctx) => {
      mayManageWebhooks(ctx.caller);
      return ctx.webhooks.list({ first, after });
    },
  },
  Mutation: {
    createWebhook: (_parent, { input }, ctx) =>
      ctx.webhooks.create(input, callerObjectId(mayManageWebhooks(ctx.caller))),
    deleteWebhook: (_parent, { id }, ctx) => {
      mayManageWebhooks(ctx.caller);
      return ctx.webhooks.delete(id);
    },
  },
  Webhook: {
    id: (webhook) => webhook._id.toHexString(),
    deliveries: (webhook, { first, after }, ctx) =>
      ctx.webhooks.deliveriesOf(webhook, { first, after }),
  },
  WebhookDelivery: {
    id: (delivery) => delivery._id.toHexString(),
  },
};
