import type DataLoader from 'dataloader';
import type { SubgraphContextBase } from '@psa/shared';
import type { TaskRecord } from './models/task.model';
import type { TasksDomain } from './tasks-domain';

/** Per-request context of the tasks subgraph. */
export interface TasksContext extends SubgraphContextBase {
  loaders: { task: DataLoader<string, TaskRecord | null> };
  domain: TasksDomain;
}
