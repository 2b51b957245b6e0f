import path from 'node:path';
import {
  createEventBus,
  createPubSub,
  createVerifierKeySet,
  ProjectAccess,
  projectAccessModel,
  publishRealtime,
  startSubgraphService,
  userRealtimeChannel,
  type EventBus,
  type Logger,
  type PubSub,
  type SubgraphService,
} from '@psa/shared';
import type { NotificationsConfig } from './config';
import type { NotificationsContext } from './context';
import { notificationIndexes, notificationModel } from './models/notification.model';
import { taskScheduleModel } from './models/task-schedule.model';
import { heardEventHandlers } from './heard-events';
import { notificationListener } from './notification-events';
import { NotificationsDomain } from './notifications-domain';
import { databaseUrl, Reminders } from './reminders';
import { notificationResolvers } from './resolvers/notification.resolver';
import { webhookResolvers } from './resolvers/webhook.resolver';
import { webhookDeliveryModel, webhookModel } from './models/webhook.model';
import { WebhooksDomain } from './webhooks.domain';
import { webhookListener } from './webhooks.events';

export { loadNotificationsConfig, type NotificationsConfig } from './config';
export type { SubgraphService } from '@psa/shared';

/** What the notifications service can be given instead of building it from configuration. */
export interface NotificationsServiceDeps {
  /** Domain events. Default: Redis at REDIS_URL when set, else this process's own bus. */
  events?: EventBus;
  /** Realtime delivery to the gateway. Default: Redis at REDIS_URL when set, else in process. */
  pubsub?: PubSub;
}

/**
 * Starts the notifications subgraph: connects to its database (in the background, retrying) and
 * serves GraphQL. Resolves once it listens. Notifications come from the other services' domain
 * events only (never direct calls); who may see a project comes from `project.access-changed`
 * (the `project_access` read model); task reminders are scheduled jobs (reminders.ts).
 */
export function startNotificationsService(
  config: NotificationsConfig,
  logger: Logger,
  deps: NotificationsServiceDeps = {},
): Promise<SubgraphService> {
  const events = createEventBus(config, logger, 'notifications', deps.events);
  const pubsub = createPubSub(config, logger, 'notifications', deps.pubsub);
  let reminders: Reminders | null = null;
  let deliveries: WebhooksDomain | null = null;
  return startSubgraphService<NotificationsContext>({
    name: 'notifications',
    serviceRoot: path.resolve(__dirname, '..'),
    resolvers: {
      ...notificationResolvers,
      ...webhookResolvers,
      Query: { ...notificationResolvers.Query, ...webhookResolvers.Query },
      Mutation: { ...notificationResolvers.Mutation, ...webhookResolvers.Mutation },
    },
    config,
    port: config.NOTIFICATIONS_PORT,
    dbName: config.NOTIFICATIONS_DB,
    keySet: createVerifierKeySet(config, logger),
    events,
    logger,
    setup: (connection) => {
      const notifications = notificationModel(connection, config.NOTIFICATION_RETENTION_DAYS);
      const schedule = taskScheduleModel(connection);
      const accessRecords = projectAccessModel(connection);
      const access = new ProjectAccess(accessRecords);
      const domain = new NotificationsDomain({
        notifications,
        access,
        logger,
        publish: (recipientId, notificationId) =>
          publishRealtime(
            pubsub,
            logger,
            userRealtimeChannel(config.EVENT_STREAM_PREFIX, recipientId.toHexString()),
            { eventId: notificationId.toHexString() },
            { notificationId: notificationId.toHexString() },
          ),
      });
      const scheduler = new Reminders({
        mongoUrl: config.MONGO_URL,
        dbName: config.NOTIFICATIONS_DB,
        pollMs: config.REMINDER_POLL_MS,
        lockMs: config.REMINDER_LOCK_MS,
        dueSoonMs: config.TASK_DUE_SOON_HOURS * 3_600_000,
        schedule,
        access,
        domain,
        logger,
      });
      const hooks = webhookModel(connection);
      const hookDeliveries = webhookDeliveryModel(connection);
      const webhooks = new WebhooksDomain({
        webhooks: hooks,
        deliveries: hookDeliveries,
        policy: {
          production: config.NODE_ENV === 'production',
          allowedHosts: new Set(config.WEBHOOK_ALLOWED_HOSTS),
        },
        jobsDatabaseUrl: databaseUrl(config.MONGO_URL, config.NOTIFICATIONS_DB),
        pollMs: config.WEBHOOK_POLL_MS,
        retryDelayMs: config.WEBHOOK_RETRY_DELAY_MS,
        logger,
      });
      return {
        models: [
          notificationIndexes(notifications, config.NOTIFICATION_RETENTION_DAYS),
          schedule,
          accessRecords,
          hooks,
          hookDeliveries,
        ],
        // Each event is parsed once, then notifies and is sent to webhooks, in that order.
        consumers: heardEventHandlers(logger, [
          notificationListener({ domain, access, schedule, reminders: scheduler }),
          webhookListener((eventId, outgoing, occurredAt) =>
            webhooks.enqueue(eventId, outgoing, occurredAt),
          ),
        ]),
        initialize: async () => {
          await scheduler.start();
          reminders = scheduler;
          await webhooks.start();
          deliveries = webhooks;
        },
        readiness: (): Record<string, boolean> =>
          config.REDIS_URL ? { realtime: pubsub.isReady() } : {},
        // Live delivery pauses while Redis is down; notifications are still stored and read.
        degradedWithout: ['realtime'],
        dispose: async () => {
          await reminders?.stop();
          await deliveries?.stop();
          if (pubsub !== deps.pubsub) await pubsub.close();
        },
        context: (base) => ({ ...base, domain, webhooks }),
      };
    },
  });
}
