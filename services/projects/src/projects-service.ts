import path from 'node:path';
import {
  createByIdLoader,
  createVerifierKeySet,
  startSubgraphService,
  type Logger,
  type SubgraphService,
} from '@psa/shared';
import type { ProjectsConfig } from './config';
import type { ProjectsContext } from './context';
import { projectModel } from './models/project.model';
import { statusUpdateModel } from './models/status-update.model';
import { ProjectsDomain } from './projects-domain';
import { projectResolvers } from './resolvers/project.resolver';

export { loadProjectsConfig, type ProjectsConfig } from './config';
export type { SubgraphService } from '@psa/shared';

/**
 * Starts the projects subgraph: connects to its database (in the background, retrying) and serves
 * GraphQL. Resolves once it listens.
 */
export function startProjectsService(
  config: ProjectsConfig,
  logger: Logger,
): Promise<SubgraphService> {
  return startSubgraphService<ProjectsContext>({
    name: 'projects',
    serviceRoot: path.resolve(__dirname, '..'),
    resolvers: projectResolvers,
    config,
    port: config.PROJECTS_PORT,
    dbName: config.PROJECTS_DB,
    keySet: createVerifierKeySet(config, logger),
    logger,
    setup: (connection) => {
      const projects = projectModel(connection);
      const statusUpdates = statusUpdateModel(connection);
      const domain = new ProjectsDomain(projects, statusUpdates);
      return {
        models: [projects, statusUpdates],
        context: (base) => ({
          ...base,
          loaders: {
            project: createByIdLoader(projects),
            statusUpdate: createByIdLoader(statusUpdates),
          },
          domain,
        }),
      };
    },
  });
}
