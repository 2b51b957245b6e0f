import type DataLoader from 'dataloader';
import type { SubgraphContextBase } from '@psa/shared';
import type { ProjectRecord } from './models/project.model';
import type { StatusUpdateRecord } from './models/status-update.model';
import type { ProjectsDomain } from './projects-domain';

/** Per-request context of the projects subgraph. */
export interface ProjectsContext extends SubgraphContextBase {
  loaders: {
    project: DataLoader<string, ProjectRecord | null>;
    statusUpdate: DataLoader<string, StatusUpdateRecord | null>;
  };
  domain: ProjectsDomain;
}
