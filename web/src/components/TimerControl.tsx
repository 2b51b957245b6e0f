import { useEffect, useMemo, useState } from 'react';
import type { FormEvent } from 'react';
import { useMutation, useQuery } from 'urql';
import {
  MyTimeProjectsQuery,
  RunningTimerQuery,
  StartTimerMutation,
  StopTimerMutation,
} from '../api/operations';
import { formatHours } from '../domain/timesheet';
import { ErrorMessage } from './ErrorMessage';

const TIMER_CONTEXT = { additionalTypenames: ['Timer', 'TimeEntry'] };

/** `h:mm:ss` since `startedAt`. */
export function elapsedText(startedAt: string, now: number): string {
  const seconds = Math.max(0, Math.floor((now - Date.parse(startedAt)) / 1000));
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${Math.floor(seconds / 3600)}:${pad(Math.floor(seconds / 60) % 60)}:${pad(seconds % 60)}`;
}

/**
 * The header's stopwatch. Its state is the server's (`me.runningTimer`), so it survives reloads and
 * shows the same timer in every tab and device; the clock only ticks the display.
 */
export function TimerControl() {
  const [{ data, error }, refetch] = useQuery({
    query: RunningTimerQuery,
    variables: {},
    context: useMemo(() => TIMER_CONTEXT, []),
  });
  const [started, start] = useMutation(StartTimerMutation);
  const [stopped, stop] = useMutation(StopTimerMutation);
  const [projectId, setProjectId] = useState('');
  const [logged, setLogged] = useState('');
  const timer = data?.me?.runningTimer ?? null;
  const now = useTicker(timer !== null);
  const reload = () => refetch({ requestPolicy: 'network-only' });

  async function onStart(event: FormEvent) {
    event.preventDefault();
    if (!projectId) return;
    setLogged('');
    const res = await start({ input: { projectId } });
    // A timer started elsewhere (CONFLICT) is shown by reading the server again either way.
    reload();
    return res;
  }
  async function onStop() {
    const res = await stop({});
    const entry = res.data?.stopTimer;
    if (entry) setLogged(`Logged ${formatHours(entry.minutes)} on ${entry.project.name}.`);
    reload();
  }

  if (timer) {
    return (
      <div className="timer running" role="group" aria-label="Timer">
        <span>
          ⏱ {timer.project.name}
          {timer.task ? ` · ${timer.task.title}` : ''}{' '}
          <time dateTime={timer.startedAt} data-testid="timer-elapsed">
            {elapsedText(timer.startedAt, now)}
          </time>
        </span>
        <button type="button" onClick={() => void onStop()} disabled={stopped.fetching}>
          Stop timer
        </button>
        <ErrorMessage error={stopped.error} context="Could not stop the timer" />
      </div>
    );
  }
  return (
    <form className="timer" aria-label="Timer" onSubmit={(e) => void onStart(e)}>
      <TimerProjects value={projectId} onChange={setProjectId} />
      <button type="submit" disabled={!projectId || started.fetching}>
        Start timer
      </button>
      {logged ? <span role="status">{logged}</span> : null}
      <ErrorMessage error={error} context="Could not read your timer" />
      <ErrorMessage error={started.error} context="Could not start the timer" />
    </form>
  );
}

function TimerProjects({ value, onChange }: { value: string; onChange: (id: string) => void }) {
  const [{ data }] = useQuery({ query: MyTimeProjectsQuery, variables: {} });
  const projects = data?.me?.projects.edges.map((e) => e.node) ?? [];
  return (
    <select aria-label="Timer project" value={value} onChange={(e) => onChange(e.target.value)}>
      <option value="">Project…</option>
      {projects.map((p) => (
        <option key={p.id} value={p.id}>
          {p.name}
        </option>
      ))}
    </select>
  );
}

/** The current time, every second while `active`. */
function useTicker(active: boolean): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!active) return;
    setNow(Date.now());
    const id = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(id);
  }, [active]);
  return now;
}
