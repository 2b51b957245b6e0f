import { useEffect, useState } from 'react';
import type { FormEvent } from 'react';
import { useMutation, useQuery, useSubscription } from 'urql';
import type {
  ProjectDetail,
  ProjectStatus,
  StatusUpdateItem,
  TaskPriority,
} from '../api/operations';
import {
  AddMemberMutation,
  CreateTaskMutation,
  PostStatusUpdateMutation,
  PROJECT_STATUSES,
  ProjectQuery,
  RemoveMemberMutation,
  SetTaskStatusMutation,
  StatusUpdatedSubscription,
  TASK_PRIORITIES,
  TaskChangedSubscription,
} from '../api/operations';
import { AssigneeOptions } from '../components/AssigneeOptions';
import { ErrorMessage } from '../components/ErrorMessage';
import { DocumentsPanel } from '../components/DocumentsPanel';
import { ProjectTimePanel } from '../components/ProjectTimePanel';
import { TaskBoard } from '../components/TaskBoard';
import { TaskTools } from '../components/TaskTools';
import { UserPicker, type PickedUser } from '../components/UserPicker';
import type { Role, TaskStatus } from '../domain/workflow';
import { statusText } from './ProjectsPage';

export interface Viewer {
  id: string;
  role: Role;
}

/** Newest first, each update once (the subscription and the query may both carry it). */
export function mergeFeed(
  live: StatusUpdateItem[],
  loaded: StatusUpdateItem[],
): StatusUpdateItem[] {
  const byId = new Map<string, StatusUpdateItem>();
  for (const item of [...loaded, ...live]) byId.set(item.id, item);
  return [...byId.values()].sort((a, b) => Date.parse(b.timestamp) - Date.parse(a.timestamp));
}

export function ProjectPage({ id, viewer }: { id: string; viewer: Viewer }) {
  const [{ data, fetching, error }, refetch] = useQuery({ query: ProjectQuery, variables: { id } });
  const [, setStatus] = useMutation(SetTaskStatusMutation);
  const reload = () => refetch({ requestPolicy: 'network-only' });

  // Another user's task change: read the board again.
  const [taskEvents] = useSubscription(
    { query: TaskChangedSubscription, variables: { projectId: id } },
    (count: number = 0) => count + 1,
  );
  const taskEventCount = taskEvents.data;
  useEffect(() => {
    if (taskEventCount) refetch({ requestPolicy: 'network-only' });
  }, [taskEventCount, refetch]);

  const project = data?.project;
  if (error && !project)
    return (
      <main>
        <ErrorMessage error={error} context="Could not load the project" />
      </main>
    );
  if (fetching && !data)
    return (
      <main>
        <p role="status">Loading…</p>
      </main>
    );
  if (!project)
    return (
      <main>
        <h1>Project not found</h1>
      </main>
    );

  const canManage = viewer.role === 'ADMIN' || viewer.id === project.manager.id;
  const people = [project.manager, ...project.members.filter((m) => m.id !== project.manager.id)];

  async function onMove(taskId: string, status: TaskStatus) {
    const res = await setStatus({ input: { taskId, status } });
    if (!res.error) reload();
    return res.error;
  }

  return (
    <main>
      <header className="project-header">
        <h1>{project.name}</h1>
        <p>
          <span className={`status status-${project.status}`}>{statusText(project.status)}</span>{' '}
          managed by {project.manager.displayName ?? project.manager.username}
        </p>
        {project.description ? <p>{project.description}</p> : null}
        <p className="meta">
          {project.taskSummary.total} tasks, {Math.round(project.taskSummary.percentComplete)}%
          done, {project.taskSummary.overdue} overdue
        </p>
        <ErrorMessage error={error} context="Could not refresh the project" />
        <ErrorMessage error={taskEvents.error} context="Live task changes stopped" />
      </header>

      <section aria-labelledby="board-title">
        <h2 id="board-title">Tasks</h2>
        {canManage ? <CreateTaskForm project={project} onCreated={reload} /> : null}
        <TaskBoard
          tasks={project.tasks.edges.map((e) => e.node)}
          viewer={viewer}
          managerId={project.manager.id}
          onMove={onMove}
          renderTaskTools={(task) => (
            <TaskTools
              task={task}
              people={people}
              canManage={canManage}
              canEdit={canManage || task.assignee?.id === viewer.id}
              onChanged={reload}
            />
          )}
        />
      </section>

      {canManage ? (
        <ProjectTimePanel projectId={project.id} people={people} viewerId={viewer.id} />
      ) : null}

      <div className="two-col">
        <StatusFeed project={project} canPost={canManage} />
        <div>
          <Members project={project} canManage={canManage} onChanged={reload} />
          <DocumentsPanel projectId={project.id} viewer={viewer} />
        </div>
      </div>
    </main>
  );
}

function CreateTaskForm({ project, onCreated }: { project: ProjectDetail; onCreated: () => void }) {
  const [title, setTitle] = useState('');
  const [description, setDescription] = useState('');
  const [dueDate, setDueDate] = useState('');
  const [priority, setPriority] = useState<TaskPriority>('MEDIUM');
  const [assigneeId, setAssigneeId] = useState('');
  const [result, create] = useMutation(CreateTaskMutation);
  const people = [project.manager, ...project.members.filter((m) => m.id !== project.manager.id)];

  async function onSubmit(event: FormEvent) {
    event.preventDefault();
    const res = await create({
      input: {
        projectId: project.id,
        title: title.trim(),
        priority,
        ...(description.trim() ? { description } : {}),
        ...(dueDate ? { dueDate: `${dueDate}T00:00:00Z` } : {}),
        ...(assigneeId ? { assigneeId } : {}),
      },
    });
    if (res.data) {
      setTitle('');
      setDescription('');
      setDueDate('');
      onCreated();
    }
  }

  return (
    <details className="panel">
      <summary>New task</summary>
      <form onSubmit={onSubmit} aria-label="New task">
        <label>
          Title
          <input required value={title} onChange={(e) => setTitle(e.target.value)} />
        </label>
        <label>
          Description
          <textarea value={description} onChange={(e) => setDescription(e.target.value)} />
        </label>
        <label>
          Due date
          <input type="date" value={dueDate} onChange={(e) => setDueDate(e.target.value)} />
        </label>
        <label>
          Priority
          <select value={priority} onChange={(e) => setPriority(e.target.value as TaskPriority)}>
            {TASK_PRIORITIES.map((p) => (
              <option key={p} value={p}>
                {statusText(p)}
              </option>
            ))}
          </select>
        </label>
        <label>
          Assignee
          <select value={assigneeId} onChange={(e) => setAssigneeId(e.target.value)}>
            <AssigneeOptions people={people} />
          </select>
        </label>
        <ErrorMessage error={result.error} context="Could not create the task" />
        <button type="submit" disabled={result.fetching}>
          Create task
        </button>
      </form>
    </details>
  );
}

function StatusFeed({ project, canPost }: { project: ProjectDetail; canPost: boolean }) {
  const [live] = useSubscription(
    { query: StatusUpdatedSubscription, variables: { projectId: project.id } },
    (prev: StatusUpdateItem[] = [], data) => [data.statusUpdated, ...prev],
  );
  const feed = mergeFeed(
    live.data ?? [],
    project.statusUpdates.edges.map((e) => e.node),
  );
  return (
    <section aria-labelledby="feed-title">
      <h2 id="feed-title">Status updates</h2>
      {canPost ? <PostUpdateForm projectId={project.id} /> : null}
      <ErrorMessage error={live.error} context="Live updates stopped" />
      {feed.length === 0 ? <p className="muted">No status updates yet.</p> : null}
      <ol className="feed" aria-live="polite">
        {feed.map((u) => (
          <li key={u.id} className={u.automatic ? 'automatic' : undefined}>
            <p>{u.message}</p>
            <p className="meta">
              {u.automatic ? 'automatic' : (u.author.displayName ?? u.author.username)},{' '}
              <time dateTime={u.timestamp}>{new Date(u.timestamp).toLocaleString()}</time>
              {u.status ? (
                <span className={`status status-${u.status}`}>{statusText(u.status)}</span>
              ) : null}
            </p>
          </li>
        ))}
      </ol>
    </section>
  );
}

function PostUpdateForm({ projectId }: { projectId: string }) {
  const [message, setMessage] = useState('');
  const [status, setStatus] = useState<ProjectStatus | ''>('');
  const [result, post] = useMutation(PostStatusUpdateMutation);

  async function onSubmit(event: FormEvent) {
    event.preventDefault();
    const res = await post({
      input: { projectId, message: message.trim(), ...(status ? { status } : {}) },
    });
    if (res.data) {
      setMessage('');
      setStatus('');
    }
  }

  return (
    <form onSubmit={onSubmit} aria-label="Post a status update">
      <label>
        Update
        <textarea required value={message} onChange={(e) => setMessage(e.target.value)} />
      </label>
      <label>
        Change the project status to
        <select value={status} onChange={(e) => setStatus(e.target.value as ProjectStatus | '')}>
          <option value="">(unchanged)</option>
          {PROJECT_STATUSES.map((s) => (
            <option key={s} value={s}>
              {statusText(s)}
            </option>
          ))}
        </select>
      </label>
      <ErrorMessage error={result.error} context="Could not post the update" />
      <button type="submit" disabled={result.fetching}>
        Post update
      </button>
    </form>
  );
}

function Members(props: { project: ProjectDetail; canManage: boolean; onChanged: () => void }) {
  const { project, canManage } = props;
  const [picked, setPicked] = useState<PickedUser | null>(null);
  // A new key empties the picker once the person is added.
  const [pickerKey, setPickerKey] = useState(0);
  const [added, add] = useMutation(AddMemberMutation);
  const [removed, remove] = useMutation(RemoveMemberMutation);

  async function onAdd(event: FormEvent) {
    event.preventDefault();
    if (!picked) return;
    const res = await add({ input: { projectId: project.id, userId: picked.id } });
    if (res.data) {
      setPicked(null);
      setPickerKey((key) => key + 1);
      props.onChanged();
    }
  }
  async function onRemove(memberId: string) {
    const res = await remove({ input: { projectId: project.id, userId: memberId } });
    if (res.data) props.onChanged();
  }

  return (
    <section aria-labelledby="members-title">
      <h2 id="members-title">Members</h2>
      <ul className="plain">
        {project.members.map((m) => (
          <li key={m.id}>
            {m.displayName ?? m.username} <span className="muted">({m.role.toLowerCase()})</span>
            {canManage ? (
              <button
                type="button"
                className="small"
                onClick={() => void onRemove(m.id)}
                aria-label={`Remove ${m.username} from the project`}
              >
                Remove
              </button>
            ) : null}
          </li>
        ))}
      </ul>
      <ErrorMessage error={removed.error} context="Could not remove the member" />
      {canManage ? (
        <form onSubmit={onAdd} aria-label="Add a member" className="inline">
          <UserPicker
            key={pickerKey}
            label="Person"
            selected={picked}
            onSelect={setPicked}
            exclude={[project.manager.id, ...project.members.map((m) => m.id)]}
          />
          <button type="submit" disabled={!picked || added.fetching}>
            Add member
          </button>
          <ErrorMessage error={added.error} context="Could not add the member" />
        </form>
      ) : null}
    </section>
  );
}
