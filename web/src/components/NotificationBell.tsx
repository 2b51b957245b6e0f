import { useEffect, useMemo } from 'react';
import { useQuery, useSubscription } from 'urql';
import type { LiveSocket } from '../api/live-subscription';
import { NotificationReceivedSubscription, UnreadNotificationCountQuery } from '../api/operations';
import { href } from '../router';

/**
 * Listed so that marking notifications read (a mutation answering a bare Int, which carries no
 * typename) invalidates the count too.
 */
export const NOTIFICATION_CONTEXT = { additionalTypenames: ['Notification'] };

/**
 * The header's bell: the server's unread count, read again whenever `notificationReceived`
 * delivers one (the server's count stays the truth, so two tabs agree), and whenever the live
 * socket connects again after the first time: what was sent while it was down (a network drop,
 * a token expiry) is never delivered, so only the server's count can say it.
 */
export function NotificationBell({
  current,
  socket,
}: {
  current: boolean;
  socket?: Pick<LiveSocket, 'on'>;
}) {
  const context = useMemo(() => NOTIFICATION_CONTEXT, []);
  const [{ data }, refetch] = useQuery({
    query: UnreadNotificationCountQuery,
    variables: {},
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
  useEffect(() => {
    if (!socket) return undefined;
    let connections = 0;
    return socket.on('connected', () => {
      connections += 1;
      if (connections > 1) refetch({ requestPolicy: 'network-only' });
    });
  }, [socket, refetch]);

  const count = data?.me?.unreadNotificationCount ?? 0;
  return (
    <a
      href={href({ name: 'notifications' })}
      className={count > 0 ? 'bell unread' : 'bell'}
      aria-label={`Notifications, ${count} unread`}
      aria-current={current ? 'page' : undefined}
    >
      {/* Drawn, not an emoji: not every machine has a font with one. */}
      <svg aria-hidden="true" viewBox="0 0 24 24" width="18" height="18">
        <path
          fill="currentColor"
          d="M12 22a2.5 2.5 0 0 0 2.45-2h-4.9A2.5 2.5 0 0 0 12 22Zm7-6V11a7 7 0 0 0-5.5-6.84V3.5a1.5 1.5 0 0 0-3 0v.66A7 7 0 0 0 5 11v5l-2 2v1h18v-1Z"
        />
      </svg>
      <span className="badge" data-testid="unread-count">
        {count}
      </span>
    </a>
  );
}
