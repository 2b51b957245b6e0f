import { useState } from 'react';
import type { FormEvent } from 'react';
import { useMutation, useQuery } from 'urql';
import type { AdminUser } from '../api/operations';
import { SetUserRoleMutation, UsersQuery } from '../api/operations';
import { ErrorMessage } from '../components/ErrorMessage';
import { WebhooksPanel } from '../components/WebhooksPanel';
import type { Role } from '../domain/workflow';
import { ROLES } from '../domain/workflow';

export function AdminPage() {
  const [search, setSearch] = useState('');
  const [applied, setApplied] = useState('');
  const [after, setAfter] = useState<string | null>(null);
  const [{ data, fetching, error }] = useQuery({
    query: UsersQuery,
    variables: { first: 50, after, ...(applied ? { filter: { search: applied } } : {}) },
  });

  function onSearch(event: FormEvent) {
    event.preventDefault();
    setAfter(null);
    setApplied(search.trim());
  }

  const users = data?.users;
  return (
    <main>
      <h1>Users</h1>
      <form onSubmit={onSearch} className="filters" aria-label="Find users">
        <label>
          Search
          <input type="search" value={search} onChange={(e) => setSearch(e.target.value)} />
        </label>
        <button type="submit">Search</button>
      </form>
      <ErrorMessage error={error} context="Could not load users" />
      {fetching && !data ? <p role="status">Loading…</p> : null}
      {users ? (
        <table>
          <caption>{users.totalCount} users</caption>
          <thead>
            <tr>
              <th scope="col">User</th>
              <th scope="col">Email</th>
              <th scope="col">Id</th>
              <th scope="col">Role</th>
            </tr>
          </thead>
          <tbody>
            {users.edges.map(({ node }) => (
              <UserRow key={node.id} user={node} />
            ))}
          </tbody>
        </table>
      ) : null}
      <div className="buttons">
        {after ? (
          <button type="button" onClick={() => setAfter(null)}>
            First page
          </button>
        ) : null}
        {users?.pageInfo.hasNextPage ? (
          <button type="button" onClick={() => setAfter(users.pageInfo.endCursor)}>
            Next page
          </button>
        ) : null}
      </div>
      <WebhooksPanel />
    </main>
  );
}

function UserRow({ user }: { user: AdminUser }) {
  const [result, setRole] = useMutation(SetUserRoleMutation);
  return (
    <tr>
      <td>{user.displayName ? `${user.displayName} (${user.username})` : user.username}</td>
      <td>{user.email}</td>
      <td>
        <code>{user.id}</code>
      </td>
      <td>
        <select
          aria-label={`Role of ${user.username}`}
          value={result.data?.setUserRole.role ?? user.role}
          disabled={result.fetching}
          onChange={(e) =>
            void setRole({ input: { userId: user.id, role: e.target.value as Role } })
          }
        >
          {ROLES.map((r) => (
            <option key={r} value={r}>
              {r.toLowerCase()}
            </option>
          ))}
        </select>
        <ErrorMessage error={result.error} context="Could not change the role" />
      </td>
    </tr>
  );
}
