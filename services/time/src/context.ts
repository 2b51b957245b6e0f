import type { SubgraphContextBase } from '@psa/shared';
import type { ProjectAccessLoader, TimeDomain, WeekLoader } from './time-domain';

/** Per-request context of the time subgraph. */
export interface TimeContext extends SubgraphContextBase {
  loaders: {
    /** Who may see a project (the read model), by project id: one query per request tick. */
    projectAccess: ProjectAccessLoader;
    /** Timesheets by entry week: the statuses of a page of entries cost one query. */
    week: WeekLoader;
  };
  domain: TimeDomain;
}
