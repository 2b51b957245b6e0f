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
import { notificationModel } from './models/notification.model';
import { taskScheduleModel } from './models/task-schedule.model';
import { notificationEventHandlers } from './notification-events';
import { NotificationsDomain } from './notifications-domain';
import { Reminders } from './reminders';
import { notificationResolvers } from './resolvers/notification.resolver';

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
  return startSubgraphService<NotificationsContext>({
    name: 'notifications',
    serviceRoot: path.resolve(__dirname, '..'),
    resolvers: notificationResolvers,
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
        dueSoonMs: config.TASK_DUE_SOON_HOURS * 3_600_000,
        schedule,
        access,
        domain,
        logger,
      });
      return {
        models: [notifications, schedule, accessRecords],
        consumers: notificationEventHandlers({
          domain,
          access,
          schedule,
          reminders: scheduler,
          logger,
        }),
        initialize: async () => {
          await scheduler.start();
          reminders = scheduler;
        },
        readiness: (): Record<string, boolean> =>
          config.REDIS_URL ? { realtime: pubsub.isReady() } : {},
        // Live delivery pauses while Redis is down; notifications are still stored and read.
        degradedWithout: ['realtime'],
        dispose: async () => {
          await reminders?.stop();
          if (pubsub !== deps.pubsub) await pubsub.close();
        },
        context: (base) => ({ ...base, domain }),
      };
    },
  });
}
