import { useMemo, useState } from 'react';
import type { FormEvent } from 'react';
import { useMutation, useQuery } from 'urql';
import type { SheetToApprove } from '../api/operations';
import {
  ApproveTimesheetMutation,
  RejectTimesheetMutation,
  TimesheetsToApproveQuery,
} from '../api/operations';
import { dayLabel, formatHours, hoursText } from '../domain/timesheet';
import { ErrorMessage } from './ErrorMessage';

const QUEUE_CONTEXT = { additionalTypenames: ['Timesheet'] };

/** The SUBMITTED weeks waiting for the viewer's decision (projects they manage; admins: all). */
export function ApprovalQueue() {
  const [{ data, error, fetching }, refetch] = useQuery({
    query: TimesheetsToApproveQuery,
    variables: {},
    context: useMemo(() => QUEUE_CONTEXT, []),
  });
  const sheets = data?.timesheetsToApprove.edges.map((e) => e.node) ?? [];
  const reload = () => refetch({ requestPolicy: 'network-only' });
  return (
    <section aria-labelledby="approvals-title">
      <h2 id="approvals-title">
        To approve{data ? ` (${data.timesheetsToApprove.totalCount})` : ''}
      </h2>
      <ErrorMessage error={error} context="Could not load the timesheets to approve" />
      {fetching && !data ? <p role="status">Loading…</p> : null}
      {data && sheets.length === 0 ? (
        <p className="muted">No timesheet waits for your decision.</p>
      ) : null}
      <ul className="list">
        {sheets.map((sheet) => (
          <SheetCard key={sheet.id} sheet={sheet} onDecided={reload} />
        ))}
      </ul>
    </section>
  );
}

function SheetCard({ sheet, onDecided }: { sheet: SheetToApprove; onDecided: () => void }) {
  const [approved, approve] = useMutation(ApproveTimesheetMutation);
  const [rejected, reject] = useMutation(RejectTimesheetMutation);
  const [reason, setReason] = useState('');
  const who = sheet.user.displayName ?? sheet.user.username;
  const name = `${who}, ${sheet.project.name}, week of ${sheet.weekStart}`;

  async function onApprove() {
    const res = await approve({ input: { timesheetId: sheet.id } });
    if (!res.error) onDecided();
  }
  async function onReject(event: FormEvent) {
    event.preventDefault();
    const res = await reject({ input: { timesheetId: sheet.id, reason: reason.trim() } });
    if (!res.error) onDecided();
  }

  return (
    <li className="card" aria-label={name}>
      <div>
        <strong>{who}</strong> on {sheet.project.name}, week of {dayLabel(sheet.weekStart)}{' '}
        {sheet.weekStart.slice(0, 4)}: {hoursText(sheet.totalMinutes)} (
        {hoursText(sheet.billableMinutes)} billable)
      </div>
      <table className="compact">
        <thead>
          <tr>
            <th scope="col">Day</th>
            <th scope="col">Task</th>
            <th scope="col">Hours</th>
            <th scope="col">Billable</th>
            <th scope="col">Note</th>
          </tr>
        </thead>
        <tbody>
          {sheet.entries.map((e) => (
            <tr key={e.id}>
              <td>{dayLabel(e.date)}</td>
              <td>{e.task?.title ?? '—'}</td>
              <td>{formatHours(e.minutes)}</td>
              <td>{e.billable ? 'yes' : 'no'}</td>
              <td>{e.note ?? ''}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <div className="inline">
        <button
          type="button"
          onClick={() => void onApprove()}
          disabled={approved.fetching || rejected.fetching}
        >
          Approve
        </button>
        <form onSubmit={onReject} className="inline" aria-label={`Reject ${name}`}>
          <label>
            Reason
            <input
              required
              maxLength={2000}
              value={reason}
              onChange={(e) => setReason(e.target.value)}
            />
          </label>
          <button type="submit" disabled={approved.fetching || rejected.fetching}>
            Reject
          </button>
        </form>
      </div>
      <ErrorMessage error={approved.error} context="Could not approve the timesheet" />
      <ErrorMessage error={rejected.error} context="Could not reject the timesheet" />
    </li>
  );
}
