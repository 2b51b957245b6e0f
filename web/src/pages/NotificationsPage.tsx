import { useEffect, useMemo, useState } from 'react';
import { useMutation, useQuery, useSubscription } from 'urql';
import type { NotificationItem } from '../api/operations';
import {
  MarkNotificationsReadMutation,
  NotificationReceivedSubscription,
  NotificationsQuery,
} from '../api/operations';
import { ErrorMessage } from '../components/ErrorMessage';
import { NOTIFICATION_CONTEXT } from '../components/NotificationBell';
import { href } from '../router';

const PAGE_SIZE = 20;

/** Where a notification points: its task's, document's or own project, with what to call it. */
export function notificationLink(n: NotificationItem): { href: string; label: string } | null {
  if (n.task) {
    return {
      href: href({ name: 'project', id: n.task.project.id }),
      label: `Task “${n.task.title}”`,
    };
  }
  if (n.document?.project) {
    return {
      href: href({ name: 'project', id: n.document.project.id }),
      label: `Document “${n.document.title}”`,
    };
  }
  if (n.project)
    return { href: href({ name: 'project', id: n.project.id }), label: n.project.name };
  if (n.kind.startsWith('TIMESHEET_')) return { href: href({ name: 'time' }), label: 'Time' };
  return null;
}

/** Your notifications, newest first, live; mark one or all read. */
export function NotificationsPage() {
  const [first, setFirst] = useState(PAGE_SIZE);
  const [unreadOnly, setUnreadOnly] = useState(false);
  const context = useMemo(() => NOTIFICATION_CONTEXT, []);
  const [{ data, error, fetching }, refetch] = useQuery({
    query: NotificationsQuery,
    variables: { first, unreadOnly },
    context,
  });
  const [live] = useSubscription(
    { query: NotificationReceivedSubscription, variables: {} },
    (received: number = 0) => received + 1,
  );
  const received = live.data ?? 0;
  useEffect(() => {
    if (received > 0) refetch({ requestPolicy: 'network-only' });
  }, [received, refetch]);
  const [marked, mark] = useMutation(MarkNotificationsReadMutation);

  const connection = data?.me?.notifications;
  const items = connection?.edges.map((e) => e.node) ?? [];
  const anyUnread = items.some((n) => !n.read);

  return (
    <main>
      <h1>Notifications</h1>
      <div className="toolbar">
        <label className="check">
          <input
            type="checkbox"
            checked={unreadOnly}
            onChange={(e) => setUnreadOnly(e.target.checked)}
          />
          Unread only
        </label>
        <button
          type="button"
          disabled={marked.fetching || !anyUnread}
          onClick={() => void mark({ input: { all: true } }, context)}
        >
          Mark all read
        </button>
      </div>
      <ErrorMessage error={error} context="Could not load your notifications" />
      <ErrorMessage error={marked.error} context="Could not mark them read" />
      {connection && items.length === 0 ? (
        <p className="muted">{unreadOnly ? 'Nothing unread.' : 'No notifications yet.'}</p>
      ) : null}
      <ol className="notifications" aria-label="Notifications" aria-live="polite">
        {items.map((n) => {
          const link = notificationLink(n);
          return (
            <li key={n.id} className={n.read ? 'read' : 'unread'}>
              <p>
                {n.read ? null : <span className="badge">new</span>} {n.message}
              </p>
              <p className="meta">
                {n.actor ? `${n.actor.displayName ?? n.actor.username}, ` : null}
                <time dateTime={n.createdAt}>{new Date(n.createdAt).toLocaleString()}</time>
                {link ? (
                  <>
                    {' · '}
                    <a href={link.href}>{link.label}</a>
                  </>
                ) : null}
                {n.read ? null : (
                  <>
                    {' · '}
                    <button
                      type="button"
                      className="link"
                      disabled={marked.fetching}
                      onClick={() => void mark({ input: { ids: [n.id] } }, context)}
                    >
                      Mark read
                    </button>
                  </>
                )}
              </p>
            </li>
          );
        })}
      </ol>
      {connection?.pageInfo.hasNextPage ? (
        <button type="button" disabled={fetching} onClick={() => setFirst(first + PAGE_SIZE)}>
          Show more ({connection.totalCount - items.length} more)
        </button>
      ) : null}
    </main>
  );
}
