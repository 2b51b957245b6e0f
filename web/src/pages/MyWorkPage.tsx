import { useMutation, useQuery } from 'urql';
import type { MyTask } from '../api/operations';
import { MyWorkQuery, SetTaskStatusMutation } from '../api/operations';
import { ErrorMessage } from '../components/ErrorMessage';
import { formatDate } from '../components/TaskBoard';
import { TaskMoves } from '../components/TaskMoves';
import type { Role, TaskStatus } from '../domain/workflow';
import { statusLabel } from '../domain/workflow';
import { href } from '../router';

/** Overdue first, then by due date (none last), then title. */
export function sortMyTasks(tasks: MyTask[]): MyTask[] {
  const due = (t: MyTask) => (t.dueDate ? Date.parse(t.dueDate) : Number.POSITIVE_INFINITY);
  return [...tasks].sort(
    (a, b) =>
      Number(b.overdue) - Number(a.overdue) || due(a) - due(b) || a.title.localeCompare(b.title),
  );
}

export function MyWorkPage({ viewer }: { viewer: { id: string; role: Role } }) {
  const [{ data, fetching, error }, refetch] = useQuery({ query: MyWorkQuery, variables: {} });
  const [, setStatus] = useMutation(SetTaskStatusMutation);
  const tasks = sortMyTasks(data?.me?.assignedTasks.edges.map((e) => e.node) ?? []);

  async function onMove(taskId: string, status: TaskStatus) {
    const res = await setStatus({ input: { taskId, status } });
    if (!res.error) refetch({ requestPolicy: 'network-only' });
    return res.error;
  }

  return (
    <main>
      <h1>My work</h1>
      <ErrorMessage error={error} context="Could not load your tasks" />
      {fetching && !data ? <p role="status">Loading…</p> : null}
      {data && tasks.length === 0 ? <p>No tasks are assigned to you.</p> : null}
      <ul className="list">
        {tasks.map((task) => (
          <li key={task.id} className={`card${task.overdue ? ' overdue' : ''}`}>
            <div>
              <strong>{task.title}</strong>{' '}
              <span className={`status status-${task.status}`}>{statusLabel(task.status)}</span>
              {task.overdue ? <span className="badge">overdue</span> : null}
            </div>
            <div className="meta">
              <a href={href({ name: 'project', id: task.project.id })}>{task.project.name}</a>
              {task.dueDate ? <span>due {formatDate(task.dueDate)}</span> : null}
            </div>
            <TaskMoves
              task={task}
              actor={{
                role: viewer.role,
                isProjectManager: task.project.manager.id === viewer.id,
                isAssignee: true,
              }}
              onMove={onMove}
            />
          </li>
        ))}
      </ul>
    </main>
  );
}
