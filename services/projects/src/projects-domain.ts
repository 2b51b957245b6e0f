import {
  callerObjectId,
  NotFoundError,
  oneOf,
  optionalText,
  requiredText,
  type Identity,
} from '@psa/shared';
import {
  PROJECT_STATUSES,
  type ProjectModel,
  type ProjectRecord,
  type ProjectStatus,
} from './models/project.model';

const NAME_MAX = 200;
const DESCRIPTION_MAX = 10_000;

export interface CreateProjectInput {
  name: string;
  description?: string | null;
  status?: ProjectStatus | null;
}

/** Who may see a project: an admin, its manager or a member. */
export function canReadProject(caller: Identity, project: ProjectRecord): boolean {
  return (
    caller.role === 'ADMIN' ||
    project.managerId.toHexString() === caller.userId.toLowerCase() ||
    project.memberIds.some((id) => id.toHexString() === caller.userId.toLowerCase())
  );
}

/**
 * The projects service's rules, apart from GraphQL. Every input is validated before anything is
 * written; roles are checked by the caller of these methods (the resolvers).
 */
export class ProjectsDomain {
  constructor(private readonly projects: ProjectModel) {}

  /** Creates a project managed by `caller`, with no members yet. Throws BAD_USER_INPUT naming the field. */
  async createProject(caller: Identity, input: CreateProjectInput): Promise<ProjectRecord> {
    const name = requiredText(input.name, 'input.name', NAME_MAX);
    const description = optionalText(input.description, 'input.description', DESCRIPTION_MAX);
    const status = oneOf(input.status ?? 'PLANNED', PROJECT_STATUSES, 'input.status');
    const created = await this.projects.create({
      name,
      description,
      status,
      managerId: callerObjectId(caller),
      memberIds: [],
    });
    return created.toObject<ProjectRecord>();
  }

  /**
   * `project` when `caller` may see it. Throws NOT_FOUND when it is missing or hidden, so a
   * project one may not see is indistinguishable from one that does not exist.
   */
  visibleProject(caller: Identity, project: ProjectRecord | null): ProjectRecord {
    if (project && canReadProject(caller, project)) return project;
    throw new NotFoundError('Project not found');
  }
}
