import { cleanup, render, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { Provider } from 'urql';
import { afterEach, describe, expect, it } from 'vitest';
import type { TimeEntryItem } from '../api/operations';
import type { StubHandler } from '../testing/stub-client';
import { createStubClient } from '../testing/stub-client';
import { WeekGrid } from './TimePage';

afterEach(cleanup);

const viewer = { id: 'u1', role: 'MEMBER' as const };
const WEEK = '2026-11-30';

function weekData(entries: TimeEntryItem[], rejectedReason?: string) {
  const sheet = (status: string, reason: string | null) => ({
    id: 's1',
    weekStart: WEEK,
    status,
    totalMinutes: 60,
    billableMinutes: 60,
    submittedAt: null,
    decidedAt: null,
    rejectionReason: reason,
  });
  return {
    data: {
      project: {
        id: 'p1',
        name: 'Portal',
        manager: { id: 'm1' },
        tasks: { edges: [{ node: { id: 't1', title: 'Invoices', status: 'TODO' } }] },
        timeEntries: { totalCount: entries.length, edges: entries.map((node) => ({ node })) },
      },
      me: {
        id: 'u1',
        timesheets: {
          edges: rejectedReason ? [{ node: sheet('REJECTED', rejectedReason) }] : [],
        },
        submitted: { edges: [] },
      },
    },
  };
}

const entry = (over: Partial<TimeEntryItem>): TimeEntryItem => ({
  id: 'e1',
  date: WEEK,
  minutes: 60,
  billable: true,
  note: null,
  status: 'OPEN',
  task: { id: 't1' },
  ...over,
});

function renderGrid(handler: StubHandler) {
  const { client, calls } = createStubClient(handler);
  render(
    <Provider value={client}>
      <WeekGrid projectId="p1" week={WEEK} viewer={viewer} />
    </Provider>,
  );
  return calls;
}

describe('week grid', () => {
  it('logs typed hours into an empty cell, on the task and day of the cell', async () => {
    const user = userEvent.setup();
    const calls = renderGrid((req) =>
      req.operationName === 'LogTime'
        ? { data: { logTime: entry({ id: 'e9', date: '2026-12-01', minutes: 90 }) } }
        : weekData([]),
    );
    const cell = await screen.findByLabelText('Invoices, Tue 1 Dec');
    await user.type(cell, '1,5');
    await user.tab();
    await screen.findByText('Saved Invoices, Tue 1 Dec.');
    const log = calls.find((c) => c.operationName === 'LogTime');
    expect(log?.variables).toEqual({
      input: { projectId: 'p1', date: '2026-12-01', minutes: 90, billable: true, taskId: 't1' },
    });
  });

  it('shows the API’s refusal with its field and marks the cell', async () => {
    const user = userEvent.setup();
    renderGrid((req) =>
      req.operationName === 'UpdateTimeEntry'
        ? {
            errors: [
              {
                message: 'a day holds at most 24 hours',
                extensions: { code: 'BAD_USER_INPUT', field: 'input.minutes' },
              },
            ],
          }
        : weekData([entry({})]),
    );
    const cell = await screen.findByLabelText('Invoices, Mon 30 Nov');
    expect((cell as HTMLInputElement).value).toBe('1:00');
    await user.clear(cell);
    await user.type(cell, '23');
    await user.tab();
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toBe(
      'Could not save Invoices, Mon 30 Nov. Invalid input (input.minutes): a day holds at most 24 hours',
    );
    expect(cell.getAttribute('aria-invalid')).toBe('true');
  });

  it('sends nothing for what is not hours', async () => {
    const user = userEvent.setup();
    const calls = renderGrid(() => weekData([]));
    const cell = await screen.findByLabelText('No task, Wed 2 Dec');
    await user.type(cell, 'two');
    await user.tab();
    expect((await screen.findByRole('alert')).textContent).toContain(
      '“two” is not a number of hours',
    );
    expect(calls.map((c) => c.operationName)).toEqual(['TimeWeek']);
  });

  it('locks a submitted week and shows a rejected week’s reason', async () => {
    renderGrid(() => weekData([entry({ status: 'SUBMITTED' })]));
    await waitFor(() => expect(screen.getByTestId('week-status').textContent).toBe('Submitted'));
    expect((screen.getByLabelText('Invoices, Mon 30 Nov') as HTMLInputElement).disabled).toBe(true);
    expect(
      (screen.getByRole('button', { name: 'Submit week' }) as HTMLButtonElement).disabled,
    ).toBe(true);
    cleanup();

    renderGrid(() => weekData([entry({ status: 'REJECTED' })], 'Split the support hours'));
    await screen.findByText(
      'Rejected: “Split the support hours”. Change the week and submit it again.',
    );
    expect(screen.getByRole('button', { name: 'Submit again' })).toBeTruthy();
  });
});
