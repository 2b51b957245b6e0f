import path from 'node:path';
import {
  createByIdLoader,
  createEventBus,
  createPubSub,
  createVerifierKeySet,
  announceRelay,
  ANNOUNCE_TOPIC,
  Outbox,
  outboxModel,
  ProjectAccess,
  projectAccessModel,
  startSubgraphService,
  type EventBus,
  type Logger,
  type PubSub,
  type SubgraphService,
} from '@psa/shared';
import type { TasksConfig } from './config';
import type { TasksContext } from './context';
import { taskProgressModel } from './models/task-progress.model';
import { taskEventModel } from './models/task-event.model';
import { taskModel } from './models/task.model';
import { PROJECT_COMPLETION, projectCompletionRelay } from './project-completion';
import { taskEventHandlers } from './project-access-handlers';
import { TaskEventRecorder } from './task-event-recorder';
import { TasksDomain, type TaskStores } from './tasks-domain';
import { taskResolvers } from './resolvers/task.resolver';

export { loadTasksConfig, type TasksConfig } from './config';
export type { SubgraphService } from '@psa/shared';

/** What the tasks service can be given instead of building it from configuration. */
export interface TasksServiceDeps {
  /** Domain events. Default: Redis at REDIS_URL when set, else this process's own bus. */
  events?: EventBus;
  /**
   * Realtime notifications to the gateway's subscribers. Default: Redis at REDIS_URL when set,
   * else this process's own. The service closes only one it made itself.
   */
  pubsub?: PubSub;
}

/**
 * Starts the tasks subgraph: connects to its database (in the background, retrying) and serves
 * GraphQL. Resolves once it listens. Who may see a project comes from `project.access-changed`
 * events, kept in a local read model (`project_access`); completions are announced through an
 * outbox.
 */
export function startTasksService(
  config: TasksConfig,
  logger: Logger,
  deps: TasksServiceDeps = {},
): Promise<SubgraphService> {
  // One bus for consuming, publishing and the outbox: the service closes it when it stops.
  const events = createEventBus(config, logger, 'tasks', deps.events);
  const pubsub = createPubSub(config, logger, 'tasks', deps.pubsub);
  return startSubgraphService<TasksContext>({
    name: 'tasks',
    serviceRoot: path.resolve(__dirname, '..'),
    resolvers: taskResolvers,
    config,
    port: config.TASKS_PORT,
    dbName: config.TASKS_DB,
    keySet: createVerifierKeySet(config, logger),
    events,
    logger,
    setup: (connection, metrics) => {
      const tasks = taskModel(connection);
      const progress = taskProgressModel(connection);
      const accessRecords = projectAccessModel(connection);
      const outboxEntries = outboxModel(connection);
      const access = new ProjectAccess(accessRecords);
      const outbox = new Outbox(
        outboxEntries,
        events,
        {
          [PROJECT_COMPLETION]: projectCompletionRelay(tasks, progress),
          [ANNOUNCE_TOPIC]: announceRelay,
        },
        { logger, ackTimeoutMs: config.EVENT_ACK_TIMEOUT_MS, published: metrics.eventsPublished },
      );
      const taskEvents = taskEventModel(connection);
      const changes = new TaskEventRecorder(taskEvents, pubsub, config.EVENT_STREAM_PREFIX, logger);
      const stores: TaskStores = { tasks, progress, access, outbox, taskEvents, changes };
      return {
        models: [tasks, progress, accessRecords, outboxEntries, taskEvents],
        consumers: taskEventHandlers({ tasks, progress, access, changes, logger }),
        outbox,
        // Without Redis the pub/sub is in-process and always ready: nothing to report.
        readiness: (): Record<string, boolean> =>
          config.REDIS_URL ? { realtime: pubsub.isReady() } : {},
        // Realtime pauses while Redis is down; reads and writes go on.
        degradedWithout: ['realtime'],
        dispose: async () => {
          // A given pub/sub is shared (the dev stack's): its owner closes it.
          if (pubsub !== deps.pubsub) await pubsub.close();
        },
        context: (base) => {
          const projectAccess = access.createLoader();
          return {
            ...base,
            loaders: { task: createByIdLoader(tasks), projectAccess },
            domain: new TasksDomain(stores, projectAccess),
          };
        },
      };
    },
  });
}
