import type { BoardTask } from '../api/operations';
import type { Role, TaskStatus } from '../domain/workflow';
import { TASK_STATUSES, statusLabel } from '../domain/workflow';
import type { MoveTask } from './TaskMoves';
import { TaskMoves } from './TaskMoves';

export interface TaskBoardProps {
  tasks: BoardTask[];
  /** The signed-in user. */
  viewer: { id: string; role: Role };
  /** The project's manager. */
  managerId: string;
  onMove: MoveTask;
}

/** Tasks in four columns by status, each with the moves the workflow allows the viewer. */
export function TaskBoard({ tasks, viewer, managerId, onMove }: TaskBoardProps) {
  const byStatus = (status: TaskStatus) => tasks.filter((t) => t.status === status);
  return (
    <div className="board">
      {TASK_STATUSES.map((status) => {
        const column = byStatus(status);
        const headingId = `column-${status}`;
        return (
          <section key={status} className="column" aria-labelledby={headingId}>
            <h3 id={headingId}>
              {statusLabel(status)} <span className="count">({column.length})</span>
            </h3>
            {column.length === 0 ? <p className="muted">No tasks</p> : null}
            <ul>
              {column.map((task) => (
                <li key={task.id} className={`card${task.overdue ? ' overdue' : ''}`}>
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
                  <TaskMoves
                    task={task}
                    actor={{
                      role: viewer.role,
                      isProjectManager: viewer.id === managerId,
                      isAssignee: task.assignee?.id === viewer.id,
                    }}
                    onMove={onMove}
                  />
                </li>
              ))}
            </ul>
          </section>
        );
      })}
    </div>
  );
}

/** A date-time as a short local date. */
export function formatDate(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleDateString();
}
