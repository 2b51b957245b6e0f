import path from 'node:path';
import {
  createByIdLoader,
  createEventBus,
  createVerifierKeySet,
  Outbox,
  outboxModel,
  ProjectAccess,
  projectAccessModel,
  startSubgraphService,
  type EventBus,
  type Logger,
  type SubgraphService,
} from '@psa/shared';
import type { TasksConfig } from './config';
import type { TasksContext } from './context';
import { taskProgressModel } from './models/task-progress.model';
import { taskModel } from './models/task.model';
import { PROJECT_COMPLETION, projectCompletionRelay } from './project-completion';
import { taskEventHandlers } from './project-access-handlers';
import { TasksDomain, type TaskStores } from './tasks-domain';
import { taskResolvers } from './resolvers/task.resolver';

export { loadTasksConfig, type TasksConfig } from './config';
export type { SubgraphService } from '@psa/shared';

/** What the tasks service can be given instead of building it from configuration. */
export interface TasksServiceDeps {
  /** Domain events. Default: Redis at REDIS_URL when set, else this process's own bus. */
  events?: EventBus;
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
    setup: (connection) => {
      const tasks = taskModel(connection);
      const progress = taskProgressModel(connection);
      const accessRecords = projectAccessModel(connection);
      const outboxEntries = outboxModel(connection);
      const access = new ProjectAccess(accessRecords);
      const outbox = new Outbox(
        outboxEntries,
        events,
        { [PROJECT_COMPLETION]: projectCompletionRelay(tasks, progress) },
        { logger, ackTimeoutMs: config.EVENT_ACK_TIMEOUT_MS },
      );
      const stores: TaskStores = { tasks, progress, access, outbox };
      return {
        models: [tasks, progress, accessRecords, outboxEntries],
        consumers: taskEventHandlers({ tasks, progress, access, logger }),
        outbox,
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
