import {
  BadUserInputError,
  callerObjectId,
  NotFoundError,
  oneOf,
  optionalId,
  optionalText,
  requiredId,
  requiredText,
  type Identity,
} from '@psa/shared';
import {
  TASK_PRIORITIES,
  type TaskModel,
  type TaskPriority,
  type TaskRecord,
} from './models/task.model';

const TITLE_MAX = 200;
const DESCRIPTION_MAX = 10_000;

export interface CreateTaskInput {
  projectId: string;
  title: string;
  description?: string | null;
  dueDate?: Date | null;
  assigneeId?: string | null;
  priority?: TaskPriority | null;
}

function checkDueDate(dueDate: Date | null | undefined): Date | null {
  if (dueDate === null || dueDate === undefined) return null;
  if (!(dueDate instanceof Date) || Number.isNaN(dueDate.getTime())) {
    throw new BadUserInputError('dueDate must be a valid date-time', 'input.dueDate');
  }
  return dueDate;
}

/** A task is overdue when its due date has passed and it is not DONE. */
export function isOverdue(task: Pick<TaskRecord, 'dueDate' | 'status'>, now = new Date()): boolean {
  return task.dueDate !== null && task.dueDate.getTime() < now.getTime() && task.status !== 'DONE';
}

/**
 * The tasks service's rules, apart from GraphQL. Every input is validated before anything is
 * written. Project membership is not checked yet: any signed-in caller may create and read tasks.
 */
export class TasksDomain {
  constructor(private readonly tasks: TaskModel) {}

  /** Creates a TODO task created by `caller`. Throws BAD_USER_INPUT naming the field at fault. */
  async createTask(caller: Identity, input: CreateTaskInput): Promise<TaskRecord> {
    const projectId = requiredId(input.projectId, 'input.projectId');
    const title = requiredText(input.title, 'input.title', TITLE_MAX);
    const description = optionalText(input.description, 'input.description', DESCRIPTION_MAX);
    const dueDate = checkDueDate(input.dueDate);
    const assigneeId = optionalId(input.assigneeId, 'input.assigneeId');
    const priority = oneOf(input.priority ?? 'MEDIUM', TASK_PRIORITIES, 'input.priority');
    const created = await this.tasks.create({
      projectId,
      title,
      description,
      status: 'TODO',
      priority,
      dueDate,
      assigneeId,
      createdById: callerObjectId(caller),
      completedAt: null,
    });
    return created.toObject<TaskRecord>();
  }

  /** `task`, or NOT_FOUND when it does not exist. */
  existingTask(task: TaskRecord | null): TaskRecord {
    if (task) return task;
    throw new NotFoundError('Task not found');
  }
}
