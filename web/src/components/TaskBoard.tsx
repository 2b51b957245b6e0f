import { useState } from 'react';
import type { DragEvent, ReactNode } from 'react';
import type { BoardTask } from '../api/operations';
import type { Role, TaskActor, TaskStatus } from '../domain/workflow';
import { TASK_STATUSES, allowedMoves, judgeDrop, statusLabel } from '../domain/workflow';
import { ErrorMessage } from './ErrorMessage';
import type { MoveTask } from './TaskMoves';
import { TaskMoves } from './TaskMoves';

export interface TaskBoardProps {
  tasks: BoardTask[];
  /** The signed-in user. */
  viewer: { id: string; role: Role };
  /** The project's manager. */
  managerId: string;
  onMove: MoveTask;
  /** Extra controls on a card (edit, assign, delete), under its move buttons. */
  renderTaskTools?: (task: BoardTask) => ReactNode;
}

/** The drag data type: a task id, so that a drop from another page or app is ignored. */
const DRAG_TYPE = 'application/x-psa-task';

/**
 * Tasks in four columns by status. Each card has a button per move the workflow allows the
 * viewer (the keyboard way), and can be dragged onto a column: the columns it may go to are
 * marked while dragging, and a drop elsewhere is explained on the card, as a refused button
 * move is.
 */
export function TaskBoard({ tasks, viewer, managerId, onMove, renderTaskTools }: TaskBoardProps) {
  const [dragged, setDragged] = useState<BoardTask | null>(null);
  const [dropError, setDropError] = useState<{ taskId: string; error: unknown } | null>(null);
  const actorFor = (task: BoardTask): TaskActor => ({
    role: viewer.role,
    isProjectManager: viewer.id === managerId,
    isAssignee: task.assignee?.id === viewer.id,
  });

  function onDragStart(event: DragEvent, task: BoardTask) {
    event.dataTransfer?.setData(DRAG_TYPE, task.id);
    event.dataTransfer?.setData('text/plain', task.title);
    if (event.dataTransfer) event.dataTransfer.effectAllowed = 'move';
    setDropError(null);
    setDragged(task);
  }

  function onDragOver(event: DragEvent) {
    if (!dragged) return;
    // Accept every drop of a card, so that a refused one can be explained.
    event.preventDefault();
  }

  async function onDrop(event: DragEvent, to: TaskStatus) {
    const task = dragged;
    setDragged(null);
    if (!task) return;
    event.preventDefault();
    const verdict = judgeDrop(task.status, to, actorFor(task));
    switch (verdict.kind) {
      case 'same':
        return;
      case 'refused':
        setDropError({ taskId: task.id, error: { code: verdict.code, message: verdict.reason } });
        return;
      case 'allowed': {
        let error: unknown;
        try {
          error = await onMove(task.id, to);
        } catch (e) {
          error = e;
        }
        if (error) setDropError({ taskId: task.id, error });
        return;
      }
      default: {
        const unknown: never = verdict;
        return unknown;
      }
    }
  }

  return (
    <div className="board">
      {TASK_STATUSES.map((status) => {
        const column = tasks.filter((t) => t.status === status);
        const headingId = `column-${status}`;
        const verdict = dragged ? judgeDrop(dragged.status, status, actorFor(dragged)).kind : null;
        return (
          <section
            key={status}
            className={`column${verdict ? ` drop-${verdict}` : ''}`}
            aria-labelledby={headingId}
            data-status={status}
            onDragOver={onDragOver}
            onDrop={(event) => void onDrop(event, status)}
          >
            <h3 id={headingId}>
              {statusLabel(status)} <span className="count">({column.length})</span>
            </h3>
            {column.length === 0 ? <p className="muted">No tasks</p> : null}
            <ul>
              {column.map((task) => {
                const actor = actorFor(task);
                const movable = allowedMoves(task.status, actor).length > 0;
                return (
                  <li
                    key={task.id}
                    className={`card${task.overdue ? ' overdue' : ''}${movable ? ' draggable' : ''}`}
                    draggable={movable}
                    onDragStart={(event) => onDragStart(event, task)}
                    onDragEnd={() => setDragged(null)}
                    data-task-id={task.id}
                  >
                    <strong>{task.title}</strong>
                    <div className="meta">
                      <span>{task.priority.toLowerCase()}</span>
                      {task.dueDate ? <span>due {formatDate(task.dueDate)}</span> : null}
                      {task.overdue ? <span className="badge">overdue</span> : null}
                      <span>
                        {task.assignee
                          ? `assigned to ${task.assignee.displayName ?? task.assignee.username}`
                          : 'unassigned'}
                      </span>
                    </div>
                    {task.description ? <p className="description">{task.description}</p> : null}
                    <TaskMoves task={task} actor={actor} onMove={onMove} />
                    {dropError?.taskId === task.id ? (
                      <ErrorMessage
                        error={dropError.error}
                        context={`Could not move “${task.title}”`}
                      />
                    ) : null}
                    {renderTaskTools?.(task)}
                  </li>
                );
              })}
            </ul>
          </section>
        );
      })}
    </div>
  );
}

/** A date-time as a short local date (the date as stored, in UTC, so it does not shift a day). */
export function formatDate(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime())
    ? iso
    : date.toLocaleDateString(undefined, { timeZone: 'UTC' });
}
