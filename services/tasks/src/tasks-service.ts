import path from 'node:path';
import {
  createByIdLoader,
  createVerifierKeySet,
  startSubgraphService,
  type Logger,
  type SubgraphService,
} from '@psa/shared';
import type { TasksConfig } from './config';
import type { TasksContext } from './context';
import { taskModel } from './models/task.model';
import { TasksDomain } from './tasks-domain';
import { taskResolvers } from './resolvers/task.resolver';

export { loadTasksConfig, type TasksConfig } from './config';
export type { SubgraphService } from '@psa/shared';

/**
 * Starts the tasks subgraph: connects to its database (in the background, retrying) and serves
 * GraphQL. Resolves once it listens.
 */
export function startTasksService(config: TasksConfig, logger: Logger): Promise<SubgraphService> {
  return startSubgraphService<TasksContext>({
    name: 'tasks',
    serviceRoot: path.resolve(__dirname, '..'),
    resolvers: taskResolvers,
    config,
    port: config.TASKS_PORT,
    dbName: config.TASKS_DB,
    keySet: createVerifierKeySet(config, logger),
    logger,
    setup: (connection) => {
      const tasks = taskModel(connection);
      const domain = new TasksDomain(tasks);
      return {
        models: [tasks],
        context: (base) => ({ ...base, loaders: { task: createByIdLoader(tasks) }, domain }),
      };
    },
  });
}
