import { useId, useState } from 'react';
import type { FormEvent } from 'react';
import { useMutation } from 'urql';
import type { BoardTask, TaskPriority, UserRef } from '../api/operations';
import {
  AssignTaskMutation,
  DeleteTaskMutation,
  TASK_PRIORITIES,
  UpdateTaskMutation,
} from '../api/operations';
import { AssigneeOptions } from './AssigneeOptions';
import { ErrorMessage } from './ErrorMessage';

export interface TaskToolsProps {
  task: BoardTask;
  /** Who the task may be assigned to: the project's manager and members. */
  people: UserRef[];
  /** May edit the task's fields: an admin, the project's manager, the assignee. */
  canEdit: boolean;
  /** May assign and delete: an admin or the project's manager. */
  canManage: boolean;
  /** After a change the API accepted (the board reads the project again). */
  onChanged: () => void;
}

export interface TaskFields {
  title: string;
  description: string;
  /** `yyyy-mm-dd` from a date input, or empty for none. */
  dueDate: string;
  priority: TaskPriority;
}

/** What is wrong with the form's fields, by field; empty when it can be sent. */
export function validateTaskFields(fields: TaskFields): Partial<Record<keyof TaskFields, string>> {
  const errors: Partial<Record<keyof TaskFields, string>> = {};
  const title = fields.title.trim();
  if (!title) errors.title = 'The title is required.';
  else if (title.length > 200) errors.title = 'The title is at most 200 characters.';
  if (fields.description.length > 10_000) {
    errors.description = 'The description is at most 10,000 characters.';
  }
  if (fields.dueDate && !/^\d{4}-\d{2}-\d{2}$/.test(fields.dueDate)) {
    errors.dueDate = 'The due date must be a date (yyyy-mm-dd).';
  }
  return errors;
}

/** The `updateTask` input for the fields that changed (null clears description and due date). */
export function taskChanges(task: BoardTask, fields: TaskFields) {
  const dueDate = fields.dueDate ? `${fields.dueDate}T00:00:00Z` : null;
  return {
    id: task.id,
    ...(fields.title.trim() !== task.title ? { title: fields.title.trim() } : {}),
    ...(fields.description !== (task.description ?? '')
      ? { description: fields.description.trim() ? fields.description : null }
      : {}),
    ...(dueDate?.slice(0, 10) !== task.dueDate?.slice(0, 10) ? { dueDate } : {}),
    ...(fields.priority !== task.priority ? { priority: fields.priority } : {}),
  };
}

/** Edit, assign and delete for one task card, each shown only to those who may use it. */
export function TaskTools({ task, people, canEdit, canManage, onChanged }: TaskToolsProps) {
  const [editing, setEditing] = useState(false);
  const [confirming, setConfirming] = useState(false);
  const [assigned, assign] = useMutation(AssignTaskMutation);
  const [deleted, remove] = useMutation(DeleteTaskMutation);
  const assignId = useId();
  if (!canEdit && !canManage) return null;

  async function onAssign(assigneeId: string) {
    const res = await assign({ input: { taskId: task.id, assigneeId: assigneeId || null } });
    if (!res.error) onChanged();
  }
  async function onDelete() {
    const res = await remove({ id: task.id });
    if (!res.error) onChanged();
  }

  return (
    <div className="task-tools">
      {canManage ? (
        <div className="assign">
          <label htmlFor={assignId}>Assignee</label>
          <select
            id={assignId}
            aria-label={`Assignee of “${task.title}”`}
            value={assigned.data?.assignTask.assignee?.id ?? task.assignee?.id ?? ''}
            disabled={assigned.fetching}
            onChange={(e) => void onAssign(e.target.value)}
          >
            <AssigneeOptions people={people} />
          </select>
          <ErrorMessage error={assigned.error} context={`Could not assign “${task.title}”`} />
        </div>
      ) : null}
      <div className="buttons">
        {canEdit ? (
          <button
            type="button"
            className="small"
            aria-expanded={editing}
            aria-label={`Edit “${task.title}”`}
            onClick={() => setEditing(!editing)}
          >
            {editing ? 'Close editor' : 'Edit'}
          </button>
        ) : null}
        {canManage && !confirming ? (
          <button
            type="button"
            className="small danger"
            aria-label={`Delete “${task.title}”`}
            onClick={() => setConfirming(true)}
          >
            Delete
          </button>
        ) : null}
      </div>
      {confirming ? (
        <div className="confirm" role="group" aria-label={`Confirm deleting “${task.title}”`}>
          <span>Delete “{task.title}” for everyone?</span>
          <button
            type="button"
            className="small danger"
            disabled={deleted.fetching}
            onClick={() => void onDelete()}
          >
            Yes, delete
          </button>
          <button type="button" className="small" onClick={() => setConfirming(false)}>
            Cancel
          </button>
        </div>
      ) : null}
      <ErrorMessage error={deleted.error} context={`Could not delete “${task.title}”`} />
      {editing ? (
        <TaskEditForm
          task={task}
          onSaved={() => {
            setEditing(false);
            onChanged();
          }}
        />
      ) : null}
    </div>
  );
}

/** The title, description, due date and priority of a task, checked before `updateTask`. */
export function TaskEditForm({ task, onSaved }: { task: BoardTask; onSaved: () => void }) {
  const [fields, setFields] = useState<TaskFields>({
    title: task.title,
    description: task.description ?? '',
    dueDate: task.dueDate?.slice(0, 10) ?? '',
    priority: task.priority,
  });
  const [invalid, setInvalid] = useState<Partial<Record<keyof TaskFields, string>>>({});
  const [result, update] = useMutation(UpdateTaskMutation);
  const id = useId();
  const set =
    <K extends keyof TaskFields>(key: K) =>
    (value: TaskFields[K]) =>
      setFields((f) => ({ ...f, [key]: value }));

  async function onSubmit(event: FormEvent) {
    event.preventDefault();
    const errors = validateTaskFields(fields);
    setInvalid(errors);
    if (Object.keys(errors).length > 0) return;
    const res = await update({ input: taskChanges(task, fields) });
    if (!res.error) onSaved();
  }

  const fieldError = (key: keyof TaskFields) =>
    invalid[key] ? (
      <span className="field-error" id={`${id}-${key}-error`}>
        {invalid[key]}
      </span>
    ) : null;
  const describedBy = (key: keyof TaskFields) => (invalid[key] ? `${id}-${key}-error` : undefined);

  return (
    <form onSubmit={onSubmit} aria-label={`Edit “${task.title}”`} noValidate className="task-edit">
      <label>
        Title
        <input
          value={fields.title}
          onChange={(e) => set('title')(e.target.value)}
          aria-invalid={invalid.title ? true : undefined}
          aria-describedby={describedBy('title')}
        />
        {fieldError('title')}
      </label>
      <label>
        Description
        <textarea
          value={fields.description}
          onChange={(e) => set('description')(e.target.value)}
          aria-invalid={invalid.description ? true : undefined}
          aria-describedby={describedBy('description')}
        />
        {fieldError('description')}
      </label>
      <label>
        Due date
        <input
          type="date"
          value={fields.dueDate}
          onChange={(e) => set('dueDate')(e.target.value)}
          aria-invalid={invalid.dueDate ? true : undefined}
          aria-describedby={describedBy('dueDate')}
        />
        {fieldError('dueDate')}
      </label>
      <label>
        Priority
        <select
          value={fields.priority}
          onChange={(e) => set('priority')(e.target.value as TaskPriority)}
        >
          {TASK_PRIORITIES.map((p) => (
            <option key={p} value={p}>
              {p.charAt(0) + p.slice(1).toLowerCase()}
            </option>
          ))}
        </select>
      </label>
      <ErrorMessage error={result.error} context={`Could not save “${task.title}”`} />
      <button type="submit" disabled={result.fetching}>
        Save task
      </button>
    </form>
  );
}
