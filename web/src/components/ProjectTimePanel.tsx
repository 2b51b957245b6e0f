import { Suspense, lazy, useMemo, useState } from 'react';
import type { FormEvent } from 'react';
import { useMutation, useQuery } from 'urql';
import type { ProjectBurnQueryVariables } from '../api/generated';
import type { ProjectTime, UserRef } from '../api/operations';
import {
  ProjectBurnQuery,
  ProjectTimeQuery,
  ProjectTimeReportQuery,
  SetBillingRateMutation,
  SetProjectBudgetMutation,
  UtilizationQuery,
} from '../api/operations';
import {
  addDays,
  burnSeries,
  formatHours,
  hoursText,
  localToday,
  mondayOf,
  parseHours,
  weekRanges,
} from '../domain/timesheet';
import { ErrorMessage } from './ErrorMessage';

// The chart library is a chunk of its own, loaded when a manager opens a project.
const BurnChart = lazy(() => import('./TimeCharts').then((m) => ({ default: m.BurnChart })));
const UtilizationChart = lazy(() =>
  import('./TimeCharts').then((m) => ({ default: m.UtilizationChart })),
);

const BURN_WEEKS = 12;
const UTILIZATION_WEEKS = 4;
const MONEY = /^\d{1,15}(\.\d{1,4})?$/;
const CURRENCY = /^[A-Z]{3}$/;
const PROJECT_TIME_CONTEXT = { additionalTypenames: ['TimeEntry', 'Timesheet', 'BillingRate'] };

/** A decimal as typed (`120`, `120.5`, `120,50`) checked, or an error sentence; never a float. */
export function checkMoney(text: string, what: string): { value: string } | { error: string } {
  const value = text.trim().replace(',', '.');
  if (!MONEY.test(value)) return { error: `${what} must be an amount such as 120.00` };
  return { value };
}

/** The manager's view of a project's time: budget, rates, the burn and utilization charts. */
export function ProjectTimePanel(props: {
  projectId: string;
  people: UserRef[];
  viewerId: string;
}) {
  const { projectId, people, viewerId } = props;
  const [{ data, error }, refetch] = useQuery({
    query: ProjectTimeQuery,
    variables: { id: projectId },
    context: useMemo(() => PROJECT_TIME_CONTEXT, []),
  });
  const project = data?.project;
  const reload = () => refetch({ requestPolicy: 'network-only' });
  return (
    <section aria-labelledby="time-title">
      <h2 id="time-title">Time and budget</h2>
      <ErrorMessage error={error} context="Could not load the project's time" />
      {project ? (
        <>
          <BudgetSummary project={project} />
          <Burn projectId={projectId} project={project} />
          <Utilization projectId={projectId} viewerId={viewerId} />
          <div className="two-col">
            <BudgetForm project={project} onSaved={reload} />
            <Rates project={project} people={people} onSaved={reload} />
          </div>
        </>
      ) : null}
    </section>
  );
}

function BudgetSummary({ project }: { project: ProjectTime }) {
  const budget = project.budget;
  if (!budget) return <p className="muted">No budget is set.</p>;
  const parts: string[] = [];
  if (budget.minutes !== null && budget.minutes !== undefined)
    parts.push(`${hoursText(budget.spentMinutes)} of ${hoursText(budget.minutes)}`);
  if (budget.amount)
    parts.push(
      `${budget.spentAmount?.amount ?? '0'} of ${budget.amount.amount} ${budget.amount.currency}`,
    );
  const percent = budget.percentUsed ?? 0;
  return (
    <div className="budget">
      <p data-testid="budget-summary">
        Budget: {parts.join('; ')} used
        {budget.percentUsed !== null && budget.percentUsed !== undefined
          ? ` (${budget.percentUsed}%)`
          : ''}
        .
      </p>
      <progress max={100} value={Math.min(percent, 100)} aria-label="Budget used">
        {percent}%
      </progress>
    </div>
  );
}

function Burn({ projectId, project }: { projectId: string; project: ProjectTime }) {
  const ranges = useMemo(() => {
    const weeks = weekRanges(localToday(), BURN_WEEKS);
    // The last range runs to tomorrow when that is next week (time may be logged up to tomorrow).
    const last = weeks[weeks.length - 1];
    const tomorrow = addDays(localToday(), 1);
    if (last && tomorrow > last.to) last.to = tomorrow;
    return weeks;
  }, []);
  const variables = useMemo(() => {
    const out: Record<string, string> = { id: projectId };
    ranges.forEach((r, i) => {
      out[`f${i}`] = r.from;
      out[`t${i}`] = r.to;
    });
    // The document declares exactly BURN_WEEKS pairs f0/t0 … f11/t11, all set above.
    return out as unknown as ProjectBurnQueryVariables;
  }, [projectId, ranges]);
  const [{ data, error }] = useQuery({
    query: ProjectBurnQuery,
    variables,
    context: useMemo(() => PROJECT_TIME_CONTEXT, []),
  });
  const burn = data?.project;
  const weeks = burn
    ? [
        burn.w0,
        burn.w1,
        burn.w2,
        burn.w3,
        burn.w4,
        burn.w5,
        burn.w6,
        burn.w7,
        burn.w8,
        burn.w9,
        burn.w10,
        burn.w11,
      ]
    : [];
  const spent = project.budget?.spentMinutes ?? weeks.reduce((s, w) => s + w.totalMinutes, 0);
  const points = burnSeries(weeks, spent);
  return (
    <figure>
      <figcaption>
        Budget burn: hours logged on the project, cumulative, over the last {BURN_WEEKS} weeks
        {project.budget?.minutes
          ? ', against the budget'
          : ' (set a budget in hours for the lines)'}
      </figcaption>
      <ErrorMessage error={error} context="Could not load the weekly time" />
      {burn ? (
        <Suspense fallback={<p role="status">Loading the chart…</p>}>
          <BurnChart points={points} budgetMinutes={project.budget?.minutes ?? null} />
        </Suspense>
      ) : null}
    </figure>
  );
}

function Utilization({ projectId, viewerId }: { projectId: string; viewerId: string }) {
  // This week so far and the three before it.
  const to = localToday();
  const from = addDays(mondayOf(to), -7 * (UTILIZATION_WEEKS - 1));
  const [{ data, error }] = useQuery({
    query: ProjectTimeReportQuery,
    variables: { id: projectId, from, to },
    context: useMemo(() => PROJECT_TIME_CONTEXT, []),
  });
  const rows = data?.project?.timeReport.byUser ?? [];
  // Capacity is per deployment (weekdays × hours per day), the same for everyone over one range:
  // the viewer's own utilization says what it is.
  const [capacity] = useQuery({
    query: UtilizationQuery,
    variables: { userId: viewerId, from, to },
  });
  const capacityMinutes = capacity.data?.user?.utilization.capacityMinutes ?? null;
  return (
    <figure>
      <figcaption>
        Utilization on this project per member (share of capacity), {from} to {to} (this week so far
        and the {UTILIZATION_WEEKS - 1} before)
        {capacityMinutes !== null ? `, against a capacity of ${hoursText(capacityMinutes)}` : ''}
      </figcaption>
      <ErrorMessage error={error ?? capacity.error} context="Could not load the utilization" />
      {data ? (
        rows.length === 0 ? (
          <p className="muted">No time was logged on the project in these weeks.</p>
        ) : (
          <Suspense fallback={<p role="status">Loading the chart…</p>}>
            <UtilizationChart
              rows={rows.map((r) => ({
                name: r.user.displayName ?? r.user.username,
                billableMinutes: r.billableMinutes,
                otherMinutes: r.totalMinutes - r.billableMinutes,
              }))}
              capacityMinutes={capacityMinutes}
            />
          </Suspense>
        )
      ) : null}
    </figure>
  );
}

function BudgetForm({ project, onSaved }: { project: ProjectTime; onSaved: () => void }) {
  const budget = project.budget;
  const [hours, setHours] = useState(budget?.minutes ? formatHours(budget.minutes) : '');
  const [amount, setAmount] = useState(budget?.amount?.amount ?? '');
  const [currency, setCurrency] = useState(
    budget?.amount?.currency ?? project.billingRates[0]?.hourlyRate.currency ?? 'EUR',
  );
  const [invalid, setInvalid] = useState<string | null>(null);
  const [result, save] = useMutation(SetProjectBudgetMutation);

  async function onSubmit(event: FormEvent) {
    event.preventDefault();
    const parsed = parseHours(hours);
    if ('error' in parsed) return setInvalid(parsed.error);
    let money: string | null = null;
    if (amount.trim()) {
      const checked = checkMoney(amount, 'The amount');
      if ('error' in checked) return setInvalid(checked.error);
      money = checked.value;
    }
    if (money !== null && !CURRENCY.test(currency.trim().toUpperCase()))
      return setInvalid('The currency is a three-letter ISO 4217 code such as EUR');
    setInvalid(null);
    const res = await save({
      input: {
        projectId: project.id,
        minutes: parsed.minutes > 0 ? parsed.minutes : null,
        amount: money,
        ...(money !== null ? { currency: currency.trim().toUpperCase() } : {}),
      },
    });
    if (!res.error) onSaved();
  }

  return (
    <form onSubmit={(e) => void onSubmit(e)} aria-label="Budget">
      <h3>Budget</h3>
      <label>
        Hours (empty: none)
        <input inputMode="decimal" value={hours} onChange={(e) => setHours(e.target.value)} />
      </label>
      <label>
        Amount (empty: none)
        <input inputMode="decimal" value={amount} onChange={(e) => setAmount(e.target.value)} />
      </label>
      <label>
        Currency
        <input maxLength={3} value={currency} onChange={(e) => setCurrency(e.target.value)} />
      </label>
      {invalid ? (
        <p role="alert" className="error">
          {invalid}
        </p>
      ) : null}
      <ErrorMessage error={result.error} context="Could not set the budget" />
      <button type="submit" disabled={result.fetching}>
        Save budget
      </button>
    </form>
  );
}

function Rates(props: { project: ProjectTime; people: UserRef[]; onSaved: () => void }) {
  const { project, people } = props;
  const [userId, setUserId] = useState('');
  const [rate, setRate] = useState('');
  const [currency, setCurrency] = useState(
    project.billingRates[0]?.hourlyRate.currency ?? project.budget?.amount?.currency ?? 'EUR',
  );
  const [invalid, setInvalid] = useState<string | null>(null);
  const [result, save] = useMutation(SetBillingRateMutation);

  async function onSubmit(event: FormEvent) {
    event.preventDefault();
    const checked = checkMoney(rate, 'The hourly rate');
    if ('error' in checked) return setInvalid(checked.error);
    setInvalid(null);
    const res = await save({
      input: {
        projectId: project.id,
        hourlyRate: checked.value,
        currency: currency.trim().toUpperCase(),
        ...(userId ? { userId } : {}),
      },
    });
    if (!res.error) {
      setRate('');
      props.onSaved();
    }
  }

  return (
    <div>
      <h3>Hourly rates</h3>
      {project.billingRates.length === 0 ? (
        <p className="muted">No rates: billable time has no amount yet.</p>
      ) : (
        <table className="compact" aria-label="Hourly rates">
          <tbody>
            {project.billingRates.map((r) => (
              <tr key={r.user?.id ?? 'default'}>
                <th scope="row">
                  {r.user ? (r.user.displayName ?? r.user.username) : 'Default (everyone else)'}
                </th>
                <td>
                  {r.hourlyRate.amount} {r.hourlyRate.currency}/h
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <form onSubmit={(e) => void onSubmit(e)} aria-label="Set an hourly rate">
        <label>
          For
          <select value={userId} onChange={(e) => setUserId(e.target.value)}>
            <option value="">The project (default)</option>
            {people.map((p) => (
              <option key={p.id} value={p.id}>
                {p.displayName ?? p.username}
              </option>
            ))}
          </select>
        </label>
        <label>
          Per hour
          <input
            required
            inputMode="decimal"
            value={rate}
            onChange={(e) => setRate(e.target.value)}
          />
        </label>
        <label>
          Currency
          <input maxLength={3} value={currency} onChange={(e) => setCurrency(e.target.value)} />
        </label>
        {invalid ? (
          <p role="alert" className="error">
            {invalid}
          </p>
        ) : null}
        <ErrorMessage error={result.error} context="Could not set the rate" />
        <button type="submit" disabled={result.fetching}>
          Set rate
        </button>
      </form>
    </div>
  );
}
