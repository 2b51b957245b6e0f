/**
 * The Time charts, drawn with recharts (SVG, so screen readers and tests can read their labels).
 * A module of its own: ProjectTimePanel loads it lazily, keeping the library out of the main bundle.
 */
import {
  Bar,
  BarChart,
  CartesianGrid,
  Legend,
  Line,
  LineChart,
  ReferenceLine,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from 'recharts';
import type { BurnPoint } from '../domain/timesheet';

const hours = (minutes: number) => Math.round((minutes / 60) * 100) / 100;

export function BurnChart(props: { points: BurnPoint[]; budgetMinutes: number | null }) {
  const { points, budgetMinutes } = props;
  const data = points.map((p) => ({
    week: p.weekStart.slice(5),
    logged: hours(p.cumulativeMinutes),
    week_hours: hours(p.weekMinutes),
  }));
  const budget = budgetMinutes !== null ? hours(budgetMinutes) : null;
  const top = Math.max(budget ?? 0, ...data.map((d) => d.logged)) * 1.1 || 1;
  return (
    <div className="chart" data-testid="burn-chart">
      <ResponsiveContainer width="100%" height="100%">
        <LineChart data={data} margin={{ top: 16, right: 56, bottom: 8, left: 0 }}>
          <CartesianGrid strokeDasharray="3 3" />
          <XAxis dataKey="week" />
          <YAxis unit=" h" domain={[0, Math.ceil(top)]} />
          <Tooltip />
          <Legend />
          <Line
            type="linear"
            dataKey="logged"
            name="Logged (cumulative)"
            stroke="#1a56db"
            isAnimationActive={false}
          />
          <Line
            type="linear"
            dataKey="week_hours"
            name="Logged that week"
            stroke="#8a94a6"
            strokeDasharray="4 2"
            isAnimationActive={false}
          />
          {budget !== null ? (
            <ReferenceLine
              y={Math.round(budget * 0.8 * 100) / 100}
              stroke="#b45309"
              strokeDasharray="6 3"
              ifOverflow="extendDomain"
              label={{ value: '80%', position: 'right' }}
            />
          ) : null}
          {budget !== null ? (
            <ReferenceLine
              y={budget}
              stroke="#b91c1c"
              ifOverflow="extendDomain"
              label={{ value: '100%', position: 'right' }}
            />
          ) : null}
        </LineChart>
      </ResponsiveContainer>
    </div>
  );
}

export interface UtilizationRow {
  name: string;
  billableMinutes: number;
  otherMinutes: number;
}

export function UtilizationChart(props: {
  rows: UtilizationRow[];
  capacityMinutes: number | null;
}) {
  // Against a known capacity the bars are its percentage (the capacity line at 100%); else hours.
  const capacity = props.capacityMinutes;
  const scale = (minutes: number) =>
    capacity ? Math.round((minutes / capacity) * 1000) / 10 : hours(minutes);
  const data = props.rows.map((r) => ({
    name: r.name,
    billable: scale(r.billableMinutes),
    other: scale(r.otherMinutes),
  }));
  return (
    <div className="chart" data-testid="utilization-chart">
      <ResponsiveContainer width="100%" height="100%">
        <BarChart data={data} margin={{ top: 16, right: 72, bottom: 8, left: 0 }}>
          <CartesianGrid strokeDasharray="3 3" />
          <XAxis dataKey="name" />
          <YAxis unit={capacity ? '%' : ' h'} />
          <Tooltip />
          <Legend />
          <Bar dataKey="billable" name="Billable" stackId="t" fill="#1a56db" />
          <Bar dataKey="other" name="Not billable" stackId="t" fill="#a3b3cc" />
          {capacity ? (
            <ReferenceLine
              y={100}
              stroke="#b91c1c"
              ifOverflow="extendDomain"
              label={{ value: 'Capacity', position: 'right' }}
            />
          ) : null}
        </BarChart>
      </ResponsiveContainer>
    </div>
  );
}
