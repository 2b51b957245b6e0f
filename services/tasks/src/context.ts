import type DataLoader from 'dataloader';
import type { SubgraphContextBase } from '@psa/shared';
import type { TaskRecord } from './models/task.model';
import type { ProjectAccessLoader, TasksDomain } from './tasks-domain';

/** Per-request context of the tasks subgraph. */
export interface TasksContext extends SubgraphContextBase {
  loaders: {
    task: DataLoader<string, TaskRecord | null>;
    /** Who may see a project (the read model), by project id: one query per request tick. */
    projectAccess: ProjectAccessLoader;
  };
  domain: TasksDomain;
}
