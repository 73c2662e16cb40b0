import { Bar, CartesianGrid, ComposedChart, Legend, Line, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { DataTable, type DataColumn } from './data-table';
import { useHydrated } from './hydrated';

export interface DayPoint {
  day: string;
  created: number;
  /** Distinct instances active that day (daily active tenants). */
  active: number;
  /** Distinct instances active in that day's week, Monday to Sunday (weekly active tenants). */
  weekly: number;
}

/** Also the height of `.chart-area` in app.css (no inline style: the CSP has style-src 'self'). */
const HEIGHT = 280;

const SERIES_COLUMNS: readonly DataColumn<DayPoint>[] = [
  { header: 'Day (UTC)', cell: (point) => point.day, rowHeader: true },
  { header: 'Created', cell: (point) => point.created, className: 'num' },
  { header: 'Active that day', cell: (point) => point.active, className: 'num' },
  { header: 'Active that week', cell: (point) => point.weekly, className: 'num' },
];

/**
 * Instances created per day, and daily and weekly active tenants: instances used that day or
 * that week (Monday to Sunday, UTC), from the catalog's daily activity, so an instance active
 * every day counts on every day, not only on its latest. The chart is drawn in the browser only (Recharts
 * measures the DOM); the server and no-JS users get a same-sized placeholder and the table.
 */
export function ActivityChart({ series }: { series: readonly DayPoint[] }) {
  const hydrated = useHydrated();
  const first = series[0]?.day ?? '';
  const last = series[series.length - 1]?.day ?? '';
  return (
    <figure className="card chart" aria-labelledby="activity-caption">
      <figcaption id="activity-caption">
        <h2>Instances created, and active tenants per day and week</h2>
        <span className="muted small">
          {first} to {last} (UTC). The numbers are also in the table below.
        </span>
      </figcaption>
      <div className="chart-area" aria-hidden={hydrated ? undefined : true}>
        {hydrated ? (
          <ResponsiveContainer width="100%" height={HEIGHT}>
            <ComposedChart data={[...series]} margin={{ top: 8, right: 16, bottom: 24, left: 8 }}>
              <CartesianGrid strokeDasharray="3 3" vertical={false} />
              <XAxis dataKey="day" tickFormatter={(day: string) => day.slice(5)} minTickGap={12} label={{ value: 'Day (UTC)', position: 'insideBottom', offset: -16 }} />
              <YAxis allowDecimals={false} width={48} label={{ value: 'Instances', angle: -90, position: 'insideLeft' }} />
              <Tooltip />
              <Legend verticalAlign="top" height={28} />
              <Bar dataKey="created" name="Created" fill="#1f5fbf" />
              <Bar dataKey="active" name="Active that day" fill="#1a7f37" />
              <Line dataKey="weekly" name="Active that week" type="stepAfter" stroke="#8250df" strokeWidth={2} dot={false} isAnimationActive={false} />
            </ComposedChart>
          </ResponsiveContainer>
        ) : null}
      </div>
      <details>
        <summary>Show the numbers</summary>
        <DataTable
          caption="Instances created, and active tenants per day and week"
          columns={SERIES_COLUMNS}
          rows={series}
          rowKey={(point) => point.day}
          rowProps={(point) => ({ 'data-day': point.day })}
        />
      </details>
    </figure>
  );
}
