import { Schema, type Connection, type Model, type Types } from 'mongoose';
import { NAME_COLLATION, withCreationKey, type Connection as Page, type Edge } from '@psa/shared';

export const TASK_STATUSES = ['TODO', 'IN_PROGRESS', 'BLOCKED', 'DONE'] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];

export const TASK_PRIORITIES = ['LOW', 'MEDIUM', 'HIGH', 'URGENT'] as const;
export type TaskPriority = (typeof TASK_PRIORITIES)[number];

/**
 * A task as stored (lean). Projects and users are referenced by id only: they live in the
 * projects and users services.
 */
export interface TaskRecord {
  _id: Types.ObjectId;
  projectId: Types.ObjectId;
  title: string;
  description: string | null;
  status: TaskStatus;
  priority: TaskPriority;
  dueDate: Date | null;
  assigneeId: Types.ObjectId | null;
  createdById: Types.ObjectId;
  /** Set when the task becomes DONE, cleared when it is reopened. */
  completedAt: Date | null;
  /** Set when the create carried an Idempotency-Key (the caller's id with it). */
  creationKey?: string;
  createdAt: Date;
  updatedAt: Date;
}

const taskSchema = new Schema<TaskRecord>(
  {
    projectId: { type: Schema.Types.ObjectId, required: true },
    title: { type: String, required: true },
    description: { type: String, default: null },
    status: { type: String, enum: TASK_STATUSES, required: true, default: 'TODO' },
    priority: { type: String, enum: TASK_PRIORITIES, required: true, default: 'MEDIUM' },
    dueDate: { type: Date, default: null },
    assigneeId: { type: Schema.Types.ObjectId, default: null },
    createdById: { type: Schema.Types.ObjectId, required: true },
    completedAt: { type: Date, default: null },
  },
  { timestamps: true, collection: 'tasks' },
);

// Every list is paged in the stable order (createdAt, _id); each index ends with it so a filter and
// the sort are served together.
// The stable page order of task lists.
taskSchema.index({ createdAt: 1, _id: 1 });
// Project.tasks unfiltered, Project.taskSummary, the automation's counts, and the cascades
// (project deleted, member removed).
taskSchema.index({ projectId: 1, createdAt: 1, _id: 1 });
// Project.tasks(orderBy: TITLE): titles in their case-insensitive order within the project, the
// index under the query's collation (MongoDB uses an index for strings only under its own
// collation); a filter besides the project is applied while walking it.
taskSchema.index({ projectId: 1, title: 1, _id: 1 }, { collation: NAME_COLLATION });
// Project.tasks(filter: {status}); also the automation's count of a project's open tasks.
taskSchema.index({ projectId: 1, status: 1, createdAt: 1, _id: 1 });
// Project.tasks(filter: {assigneeId}).
taskSchema.index({ projectId: 1, assigneeId: 1, createdAt: 1, _id: 1 });
// Project.tasks(filter: {overdue | dueBefore}): a range on dueDate within the project (the page
// order is then sorted in memory, over that project's matching tasks only).
taskSchema.index({ projectId: 1, dueDate: 1 });
// User.assignedTasks (limited to readable projects), and unassigning a deleted user's tasks.
taskSchema.index({ assigneeId: 1, createdAt: 1, _id: 1 });
// Project.tasks(filter: {search}): the collection's one text index, English stemming and stop
// words, a word in the title weighing ten times one in the description. It leads with projectId
// (every task search is within one project), so a search reads only that project's entries; a
// $text query on tasks must therefore give projectId by equality.
taskSchema.index(
  { projectId: 1, title: 'text', description: 'text' },
  { name: 'search', weights: { title: 10, description: 1 }, default_language: 'english' },
);
// A retried createTask (Idempotency-Key) finds the task its first attempt made.
withCreationKey(taskSchema);

export type TaskModel = Model<TaskRecord>;

/** The Task model on the service's own connection. */
export const taskModel = (connection: Connection): TaskModel =>
  connection.models.Task ?? connection.model<TaskRecord>('Task', taskSchema);

/** Shapes the GraphQL layer resolves from (GraphQL Code Generator mappers). */
export type TaskConnectionRecord = Page<TaskRecord>;
export type TaskEdgeRecord = Edge<TaskRecord>;
