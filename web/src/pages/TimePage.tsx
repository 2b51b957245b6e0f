import { useEffect, useMemo, useState } from 'react';
import type { FormEvent } from 'react';
import { useMutation, useQuery } from 'urql';
import type { TimeEntryItem, TimesheetStatus } from '../api/operations';
import {
  DeleteTimeEntryMutation,
  LogTimeMutation,
  MyTimeProjectsQuery,
  SubmitTimesheetMutation,
  TimeWeekQuery,
  UpdateTimeEntryMutation,
} from '../api/operations';
import { ApprovalQueue } from '../components/ApprovalQueue';
import { ErrorMessage } from '../components/ErrorMessage';
import type { Role } from '../domain/workflow';
import type { CellChange } from '../domain/timesheet';
import {
  addDays,
  dayLabel,
  formatHours,
  hoursText,
  isMonday,
  localToday,
  mondayOf,
  parseHours,
  planCellChange,
  weekDays,
} from '../domain/timesheet';
import { href, navigate } from '../router';

export interface TimeViewer {
  id: string;
  role: Role;
}

/** Refetch the week when any entry or sheet changes (also when the list was empty). */
const TIME_CONTEXT = { additionalTypenames: ['TimeEntry', 'Timesheet'] };

export const STATUS_TEXT: Record<TimesheetStatus, string> = {
  OPEN: 'Open',
  SUBMITTED: 'Submitted',
  APPROVED: 'Approved',
  REJECTED: 'Rejected',
};

export function TimePage(props: { viewer: TimeViewer; projectId?: string; week?: string }) {
  const { viewer } = props;
  const [projects] = useQuery({ query: MyTimeProjectsQuery, variables: {} });
  const list = projects.data?.me?.projects.edges.map((e) => e.node) ?? [];
  const projectId = props.projectId ?? list[0]?.id;
  const week = props.week && isMonday(props.week) ? props.week : mondayOf(localToday());
  const approves = viewer.role === 'ADMIN' || viewer.role === 'MANAGER';

  return (
    <main>
      <h1>Time</h1>
      {approves ? <ApprovalQueue /> : null}
      <section aria-labelledby="week-title">
        <h2 id="week-title">My week</h2>
        <ErrorMessage error={projects.error} context="Could not load your projects" />
        {projects.data && list.length === 0 ? (
          <p>You are on no project yet: time is logged on a project you manage or belong to.</p>
        ) : null}
        {list.length > 0 ? (
          <div className="toolbar">
            <label>
              Project
              <select
                value={projectId ?? ''}
                onChange={(e) => navigate({ name: 'time', projectId: e.target.value, week })}
              >
                {list.map((p) => (
                  <option key={p.id} value={p.id}>
                    {p.name}
                  </option>
                ))}
              </select>
            </label>
            {projectId ? <WeekNav projectId={projectId} week={week} /> : null}
          </div>
        ) : null}
        {projectId ? (
          <WeekGrid
            key={`${projectId}/${week}`}
            projectId={projectId}
            week={week}
            viewer={viewer}
          />
        ) : null}
      </section>
    </main>
  );
}

function WeekNav({ projectId, week }: { projectId: string; week: string }) {
  const to = (w: string) => href({ name: 'time', projectId, week: w });
  return (
    <p className="week-nav">
      <a href={to(addDays(week, -7))}>← Previous week</a>
      <a href={to(mondayOf(localToday()))}>This week</a>
      <a href={to(addDays(week, 7))}>Next week →</a>
    </p>
  );
}

const NO_TASK = '';

/** Cell key: task id (or none) and date. */
const cellKey = (taskId: string, date: string) => `${taskId}|${date}`;

interface CellError {
  key: string;
  error: unknown;
  label: string;
}

export function WeekGrid({
  projectId,
  week,
  viewer,
}: {
  projectId: string;
  week: string;
  viewer: TimeViewer;
}) {
  const days = weekDays(week);
  const from = days[0] ?? week;
  const to = days[6] ?? week;
  const [{ data, fetching, error }, refetch] = useQuery({
    query: TimeWeekQuery,
    variables: { projectId, userId: viewer.id, from, to },
    context: useMemo(() => TIME_CONTEXT, []),
  });
  const [, logTime] = useMutation(LogTimeMutation);
  const [, updateEntry] = useMutation(UpdateTimeEntryMutation);
  const [, deleteEntry] = useMutation(DeleteTimeEntryMutation);
  const [submitted, submit] = useMutation(SubmitTimesheetMutation);
  const [drafts, setDrafts] = useState<Record<string, string>>({});
  const [cellError, setCellError] = useState<CellError | null>(null);
  const [saving, setSaving] = useState(false);
  const [billable, setBillable] = useState(true);
  const [saved, setSaved] = useState('');
  // Cells saved since the last read: their drafts give way to the server's figures once it answers.
  const [settled, setSettled] = useState<string[]>([]);

  const project = data?.project;
  const entries: TimeEntryItem[] = project?.timeEntries.edges.map((e) => e.node) ?? [];
  const rejected = data?.me?.timesheets.edges.find((e) => e.node.weekStart === week)?.node;
  const pending = data?.me?.submitted.edges.find((e) => e.node.weekStart === week)?.node;
  // Every entry carries its week's status; an empty week is OPEN unless a sheet says otherwise.
  const status: TimesheetStatus =
    entries[0]?.status ?? (rejected ? 'REJECTED' : pending ? 'SUBMITTED' : 'OPEN');
  const locked = status === 'SUBMITTED' || status === 'APPROVED';

  const byCell = new Map<string, TimeEntryItem[]>();
  for (const entry of entries) {
    const key = cellKey(entry.task?.id ?? NO_TASK, entry.date);
    byCell.set(key, [...(byCell.get(key) ?? []), entry]);
  }
  const cellMinutes = (key: string) =>
    (byCell.get(key) ?? []).reduce((sum, e) => sum + e.minutes, 0);

  const tasks = project?.tasks.edges.map((e) => e.node) ?? [];
  const rows = [
    { id: NO_TASK, title: 'No task' },
    ...tasks.filter((t) => t.status !== 'DONE' || entries.some((e) => e.task?.id === t.id)),
  ];

  useEffect(() => {
    if (fetching || settled.length === 0) return;
    setDrafts((d) => Object.fromEntries(Object.entries(d).filter(([k]) => !settled.includes(k))));
    setSettled([]);
  }, [data, fetching, settled]);

  async function send(change: CellChange, taskId: string, date: string): Promise<unknown> {
    switch (change.kind) {
      case 'log': {
        const res = await logTime({
          input: {
            projectId,
            date,
            minutes: change.minutes,
            billable,
            ...(taskId ? { taskId } : {}),
          },
        });
        return res.error;
      }
      case 'update':
        return (await updateEntry({ input: { id: change.id, minutes: change.minutes } })).error;
      case 'delete':
        return (await deleteEntry({ id: change.id })).error;
    }
  }

  async function commit(taskId: string, taskTitle: string, date: string) {
    const key = cellKey(taskId, date);
    const text = drafts[key];
    if (text === undefined) return;
    const label = `${taskTitle}, ${dayLabel(date)}`;
    const parsed = parseHours(text);
    if ('error' in parsed) {
      setCellError({ key, label, error: { code: 'BAD_USER_INPUT', message: parsed.error } });
      return;
    }
    const changes = planCellChange(
      (byCell.get(key) ?? []).map((e) => ({ id: e.id, minutes: e.minutes })),
      parsed.minutes,
    );
    if (changes.length === 0) {
      setDrafts(({ [key]: _dropped, ...rest }) => rest);
      return;
    }
    setSaving(true);
    setSaved('');
    let failure: unknown;
    for (const change of changes) {
      failure = await send(change, taskId, date);
      if (failure) break;
    }
    setSaving(false);
    if (failure) {
      setCellError({ key, label, error: failure });
    } else {
      setCellError((e) => (e?.key === key ? null : e));
      setSaved(`Saved ${label}.`);
      setSettled((keys) => [...keys, key]);
    }
    refetch({ requestPolicy: 'network-only' });
  }

  async function onSubmit(event: FormEvent) {
    event.preventDefault();
    const res = await submit({ input: { projectId, weekStart: week } });
    if (!res.error) refetch({ requestPolicy: 'network-only' });
  }

  if (error && !project) return <ErrorMessage error={error} context="Could not load the week" />;
  if (!project) return <p role="status">Loading…</p>;

  const dayTotal = (date: string) =>
    entries.filter((e) => e.date === date).reduce((s, e) => s + e.minutes, 0);
  const weekTotal = entries.reduce((s, e) => s + e.minutes, 0);

  return (
    <div className="week">
      <h3>
        {project.name}: week of {dayLabel(week)} {week.slice(0, 4)}{' '}
        <span className={`status sheet-${status}`} data-testid="week-status">
          {STATUS_TEXT[status]}
        </span>
      </h3>
      {status === 'REJECTED' && rejected ? (
        <p role="note" className="rejection">
          Rejected{rejected.rejectionReason ? `: “${rejected.rejectionReason}”` : ''}. Change the
          week and submit it again.
        </p>
      ) : null}
      {locked ? (
        <p className="muted">
          {status === 'APPROVED'
            ? 'This week is approved: its entries are billing records and cannot change.'
            : 'This week is submitted: it is locked until your manager decides.'}
        </p>
      ) : null}
      <ErrorMessage error={error} context="Could not refresh the week" />
      {cellError ? (
        <ErrorMessage
          id="cell-error"
          error={cellError.error}
          context={`Could not save ${cellError.label}`}
        />
      ) : null}
      <p role="status" className="muted">
        {saving ? 'Saving…' : saved}
      </p>
      <table className="week-grid" aria-label={`Hours of the week of ${week}`}>
        <thead>
          <tr>
            <th scope="col">Task</th>
            {days.map((d) => (
              <th scope="col" key={d}>
                {dayLabel(d)}
              </th>
            ))}
            <th scope="col">Total</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((row) => {
            const rowTotal = entries
              .filter((e) => (e.task?.id ?? NO_TASK) === row.id)
              .reduce((s, e) => s + e.minutes, 0);
            return (
              <tr key={row.id || 'none'}>
                <th scope="row">{row.title}</th>
                {days.map((d) => {
                  const key = cellKey(row.id, d);
                  const invalid = cellError?.key === key;
                  return (
                    <td key={d}>
                      <input
                        aria-label={`${row.title}, ${dayLabel(d)}`}
                        inputMode="decimal"
                        size={5}
                        disabled={locked}
                        aria-invalid={invalid || undefined}
                        aria-describedby={invalid ? 'cell-error' : undefined}
                        value={drafts[key] ?? formatHours(cellMinutes(key))}
                        onChange={(e) => setDrafts((prev) => ({ ...prev, [key]: e.target.value }))}
                        onBlur={() => void commit(row.id, row.title, d)}
                        onKeyDown={(e) => {
                          if (e.key === 'Enter') void commit(row.id, row.title, d);
                        }}
                      />
                    </td>
                  );
                })}
                <td className="total">{formatHours(rowTotal)}</td>
              </tr>
            );
          })}
        </tbody>
        <tfoot>
          <tr>
            <th scope="row">Day total</th>
            {days.map((d) => (
              <td key={d} className="total">
                {formatHours(dayTotal(d))}
              </td>
            ))}
            <td className="total" data-testid="week-total">
              {hoursText(weekTotal)}
            </td>
          </tr>
        </tfoot>
      </table>
      <form onSubmit={onSubmit} aria-label="Submit the week" className="inline">
        <label className="check">
          <input
            type="checkbox"
            checked={billable}
            onChange={(e) => setBillable(e.target.checked)}
          />
          New hours are billable
        </label>
        <button type="submit" disabled={locked || submitted.fetching || entries.length === 0}>
          {status === 'REJECTED' ? 'Submit again' : 'Submit week'}
        </button>
        <span className="muted">
          Hours as 1.5 or 1:30; leave a cell empty to remove its time. Saved when you leave a cell.
        </span>
      </form>
      <ErrorMessage error={submitted.error} context="Could not submit the week" />
    </div>
  );
}
