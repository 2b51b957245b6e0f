import { cleanup, render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { Provider } from 'urql';
import type { ExecutionResult } from 'urql';
import { afterEach, describe, expect, it } from 'vitest';
import type { NotificationItem } from '../api/operations';
import { NotificationBell } from '../components/NotificationBell';
import type { StubHandler } from '../testing/stub-client';
import { createStubClient } from '../testing/stub-client';
import { NotificationsPage, notificationLink } from './NotificationsPage';

afterEach(cleanup);

function notification(id: string, read: boolean): NotificationItem & { __typename: string } {
  return {
    __typename: 'Notification',
    id,
    kind: 'TASK_ASSIGNED',
    message: `You were assigned the task "Task ${id}"`,
    read,
    createdAt: '2026-12-03T10:00:00.000Z',
    project: { id: 'p1', name: 'Intranet' },
    task: { id: `t-${id}`, title: `Task ${id}`, project: { id: 'p1' } },
    document: null,
    actor: { id: 'u-ada', username: 'ada', displayName: 'Ada' },
  };
}

/** A server in memory: its notifications, answers to the console's operations, live delivery. */
function fakeServer(initial: ReturnType<typeof notification>[]) {
  const items = [...initial];
  const waiting: ((result: ExecutionResult) => void)[] = [];
  const me = (rest: Record<string, unknown>) => ({
    data: { me: { __typename: 'User', id: 'u-me', ...rest } },
  });
  const handler: StubHandler = (request) => {
    switch (request.operationName) {
      case 'UnreadNotificationCount':
        return me({ unreadNotificationCount: items.filter((n) => !n.read).length });
      case 'Notifications':
        return me({
          notifications: {
            __typename: 'NotificationConnection',
            edges: items.map((node) => ({ __typename: 'NotificationEdge', node })),
            pageInfo: { __typename: 'PageInfo', hasNextPage: false, endCursor: null },
            totalCount: items.length,
          },
        });
      case 'MarkNotificationsRead': {
        const input = request.variables.input as { ids?: string[]; all?: boolean };
        let changed = 0;
        for (const n of items) {
          if (!n.read && (input.all || input.ids?.includes(n.id))) {
            n.read = true;
            changed += 1;
          }
        }
        return { data: { markNotificationsRead: changed } };
      }
      case 'NotificationReceived':
        return new Promise<ExecutionResult>((resolve) => waiting.push(resolve));
      default:
        return { errors: [{ message: 'unexpected', extensions: { code: 'BAD_REQUEST' } }] };
    }
  };
  return {
    handler,
    /** A notification is created while nobody listens: stored only. */
    store(n: ReturnType<typeof notification>) {
      items.unshift(n);
    },
    /** A notification is created: stored, then delivered to the live subscribers. */
    deliver(n: ReturnType<typeof notification>) {
      items.unshift(n);
      for (const resolve of waiting.splice(0)) resolve({ data: { notificationReceived: n } });
    },
  };
}

/** A live socket whose connections the test makes happen. */
function fakeSocket() {
  const listeners = new Set<() => void>();
  return {
    on(_event: 'connected', listener: () => void) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    connect() {
      for (const listener of listeners) listener();
    },
  };
}

function renderConsole(handler: StubHandler, socket = fakeSocket()) {
  const { client, calls } = createStubClient(handler, { cache: true });
  render(
    <Provider value={client}>
      <NotificationBell current={false} socket={socket} />
      <NotificationsPage />
    </Provider>,
  );
  return calls;
}

describe('notifications', () => {
  it('lists them with links; mark read and mark all read bring the bell down', async () => {
    const user = userEvent.setup();
    const server = fakeServer([notification('n2', false), notification('n1', false)]);
    const calls = renderConsole(server.handler);
    await screen.findByRole('link', { name: 'Notifications, 2 unread' });
    const list = screen.getByRole('list', { name: 'Notifications' });
    const entries = await within(list).findAllByRole('listitem');
    expect(entries.map((li) => within(li).getByRole('link').getAttribute('href'))).toEqual([
      '#/projects/p1',
      '#/projects/p1',
    ]);
    expect(within(entries[0]!).getByRole('link').textContent).toBe('Task “Task n2”');

    await user.click(within(entries[1]!).getByRole('button', { name: 'Mark read' }));
    await screen.findByRole('link', { name: 'Notifications, 1 unread' });
    await user.click(screen.getByRole('button', { name: 'Mark all read' }));
    await screen.findByRole('link', { name: 'Notifications, 0 unread' });
    expect(
      calls.filter((c) => c.operationName === 'MarkNotificationsRead').map((c) => c.variables),
    ).toEqual([{ input: { ids: ['n1'] } }, { input: { all: true } }]);
    expect(within(list).queryAllByRole('button', { name: 'Mark read' })).toEqual([]);
    expect(
      (screen.getByRole('button', { name: 'Mark all read' }) as HTMLButtonElement).disabled,
    ).toBe(true);
  });

  it('counts up and lists a notification as it arrives', async () => {
    const server = fakeServer([]);
    renderConsole(server.handler);
    await screen.findByRole('link', { name: 'Notifications, 0 unread' });
    await screen.findByText('No notifications yet.');
    server.deliver(notification('n3', false));
    await screen.findByRole('link', { name: 'Notifications, 1 unread' });
    await screen.findByText('You were assigned the task "Task n3"');
  });

  it('reads the count again when the live socket reconnects (what was sent meanwhile is not delivered)', async () => {
    const server = fakeServer([notification('n1', false)]);
    const socket = fakeSocket();
    const calls = renderConsole(server.handler, socket);
    await screen.findByRole('link', { name: 'Notifications, 1 unread' });
    socket.connect();
    // Created while the socket was down: stored, but no subscriber hears of it.
    server.store(notification('n2', false));
    const counts = () => calls.filter((c) => c.operationName === 'UnreadNotificationCount').length;
    const before = counts();
    socket.connect();
    await screen.findByRole('link', { name: 'Notifications, 2 unread' });
    expect(counts()).toBe(before + 1);
  });

  it('links each kind to what it is about', () => {
    const base = notification('n', false);
    expect(notificationLink(base)).toEqual({ href: '#/projects/p1', label: 'Task “Task n”' });
    expect(
      notificationLink({
        ...base,
        kind: 'DOCUMENT_SHARED',
        task: null,
        document: { id: 'd1', title: 'SOW', project: { id: 'p2' } },
      }),
    ).toEqual({ href: '#/projects/p2', label: 'Document “SOW”' });
    expect(notificationLink({ ...base, kind: 'MEMBER_ADDED', task: null })).toEqual({
      href: '#/projects/p1',
      label: 'Intranet',
    });
    expect(
      notificationLink({ ...base, kind: 'TIMESHEET_APPROVED', task: null, project: null }),
    ).toEqual({ href: '#/time', label: 'Time' });
  });
});
