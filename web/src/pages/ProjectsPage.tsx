import { useState } from 'react';
import type { FormEvent } from 'react';
import { useMutation, useQuery } from 'urql';
import type { ProjectFilter, ProjectOrder, ProjectStatus } from '../api/operations';
import { CreateProjectMutation, PROJECT_STATUSES, ProjectsQuery } from '../api/operations';
import { ErrorMessage } from '../components/ErrorMessage';
import type { Role } from '../domain/workflow';
import { href, navigate } from '../router';

const PAGE_SIZE = 20;

export function statusText(status: string): string {
  return status.charAt(0) + status.slice(1).toLowerCase().replace(/_/g, ' ');
}

export function ProjectsPage({ viewer }: { viewer: { role: Role } }) {
  const [status, setStatus] = useState<ProjectStatus | ''>('');
  const [search, setSearch] = useState('');
  const [order, setOrder] = useState<ProjectOrder>('CREATED_AT');
  const [query, setQuery] = useState<{ filter: ProjectFilter; orderBy: ProjectOrder | null }>({
    filter: {},
    orderBy: null,
  });
  const canCreate = viewer.role === 'MANAGER' || viewer.role === 'ADMIN';

  function onFilter(event: FormEvent) {
    event.preventDefault();
    const searching = search.trim() !== '';
    setQuery({
      filter: {
        ...(status ? { status } : {}),
        ...(searching ? { search: search.trim() } : {}),
      },
      // A search comes best match first: the API takes no other order with it.
      orderBy: searching || order === 'CREATED_AT' ? null : order,
    });
  }

  return (
    <main>
      <h1>Projects</h1>
      {canCreate ? <CreateProjectForm /> : null}
      <form className="filters" onSubmit={onFilter} aria-label="Filter projects">
        <label>
          Status
          <select value={status} onChange={(e) => setStatus(e.target.value as ProjectStatus | '')}>
            <option value="">Any</option>
            {PROJECT_STATUSES.map((s) => (
              <option key={s} value={s}>
                {statusText(s)}
              </option>
            ))}
          </select>
        </label>
        <label>
          Search
          <input type="search" value={search} onChange={(e) => setSearch(e.target.value)} />
        </label>
        <label>
          Order
          <select
            value={search.trim() ? 'BEST_MATCH' : order}
            disabled={search.trim() !== ''}
            onChange={(e) => setOrder(e.target.value as ProjectOrder)}
          >
            <option value="CREATED_AT">Oldest first</option>
            <option value="NAME">Name A–Z</option>
            {search.trim() ? <option value="BEST_MATCH">Best match</option> : null}
          </select>
        </label>
        <button type="submit">Apply</button>
      </form>
      <ProjectList key={JSON.stringify(query)} {...query} />
    </main>
  );
}

/** Pages of projects for one filter and order; "Load more" adds the next page below. */
function ProjectList({ filter, orderBy }: { filter: ProjectFilter; orderBy: ProjectOrder | null }) {
  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  return (
    <ul className="list" aria-live="polite">
      {cursors.map((after, i) => (
        <ProjectPage
          key={after ?? 'first'}
          after={after}
          filter={filter}
          orderBy={orderBy}
          last={i === cursors.length - 1}
          onMore={(cursor) => setCursors((c) => [...c, cursor])}
        />
      ))}
    </ul>
  );
}

function ProjectPage(props: {
  after: string | null;
  filter: ProjectFilter;
  orderBy: ProjectOrder | null;
  last: boolean;
  onMore: (cursor: string) => void;
}) {
  const [{ data, fetching, error }] = useQuery({
    query: ProjectsQuery,
    variables: {
      first: PAGE_SIZE,
      after: props.after,
      filter: props.filter,
      ...(props.orderBy ? { orderBy: props.orderBy } : {}),
    },
  });
  const projects = data?.projects;
  return (
    <>
      {projects?.edges.map(({ node }) => (
        <li key={node.id} className="card">
          <a href={href({ name: 'project', id: node.id })}>
            <strong>{node.name}</strong>
          </a>{' '}
          <span className={`status status-${node.status}`}>{statusText(node.status)}</span>
          <div className="meta">
            <span>manager {node.manager.displayName ?? node.manager.username}</span>
            <span>
              {node.taskSummary.total} tasks, {Math.round(node.taskSummary.percentComplete)}% done
            </span>
            {node.taskSummary.overdue > 0 ? (
              <span className="badge">{node.taskSummary.overdue} overdue</span>
            ) : null}
          </div>
          <progress
            max={100}
            value={node.taskSummary.percentComplete}
            aria-label={`${node.name}: ${Math.round(node.taskSummary.percentComplete)}% complete`}
          />
        </li>
      ))}
      {error ? (
        <li>
          <ErrorMessage error={error} context="Could not load projects" />
        </li>
      ) : null}
      {fetching && !data ? <li role="status">Loading…</li> : null}
      {props.after === null && projects && projects.totalCount === 0 ? (
        <li>No projects match.</li>
      ) : null}
      {props.last && projects?.pageInfo.hasNextPage && projects.pageInfo.endCursor ? (
        <li>
          <button type="button" onClick={() => props.onMore(projects.pageInfo.endCursor ?? '')}>
            Load more ({projects.totalCount} in all)
          </button>
        </li>
      ) : null}
    </>
  );
}

function CreateProjectForm() {
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const [status, setStatus] = useState<ProjectStatus>('PLANNED');
  const [result, create] = useMutation(CreateProjectMutation);

  async function onSubmit(event: FormEvent) {
    event.preventDefault();
    const res = await create({
      input: { name: name.trim(), status, ...(description.trim() ? { description } : {}) },
    });
    if (res.data) navigate({ name: 'project', id: res.data.createProject.id });
  }

  return (
    <details className="panel">
      <summary>New project</summary>
      <form onSubmit={onSubmit} aria-label="New project">
        <label>
          Name
          <input required value={name} onChange={(e) => setName(e.target.value)} />
        </label>
        <label>
          Description
          <textarea value={description} onChange={(e) => setDescription(e.target.value)} />
        </label>
        <label>
          Status
          <select value={status} onChange={(e) => setStatus(e.target.value as ProjectStatus)}>
            {PROJECT_STATUSES.map((s) => (
              <option key={s} value={s}>
                {statusText(s)}
              </option>
            ))}
          </select>
        </label>
        <ErrorMessage error={result.error} context="Could not create the project" />
        <button type="submit" disabled={result.fetching}>
          Create project
        </button>
      </form>
    </details>
  );
}
