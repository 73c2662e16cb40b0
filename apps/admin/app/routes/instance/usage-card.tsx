import { formatBytes, formatCount } from '@silo/fleet/format';
import { Bar, CartesianGrid, ComposedChart, Legend, Line, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { DataTable, type DataColumn } from '../../components/data-table';
import { useHydrated } from '../../components/hydrated';
import type { UsagePoint } from '../../lib/usage';

/** Also the height of `.usage-chart` in app.css (the CSP allows no inline style). */
const HEIGHT = 180;

const COLUMNS: readonly DataColumn<UsagePoint>[] = [
  { header: 'Day (UTC)', cell: (point) => point.day, rowHeader: true },
  { header: 'Requests', cell: (point) => formatCount(point.reads), className: 'num' },
  { header: 'Writes', cell: (point) => formatCount(point.writes), className: 'num' },
  { header: 'Size', cell: (point) => (point.sizeBytes === null ? '—' : formatBytes(point.sizeBytes)), className: 'num' },
];

/**
 * Requests, writes and size per day over the last 30 days, as counted by the fleet (the touch
 * buffer and the write paths outside the app), drawn in the browser only like the overview's chart.
 */
export function UsageCard({ usage }: { usage: readonly UsagePoint[] }) {
  const hydrated = useHydrated();
  const first = usage[0]?.day ?? '';
  const last = usage[usage.length - 1]?.day ?? '';
  return (
    <figure className="card chart" aria-labelledby="usage-h">
      <figcaption>
        <h2 id="usage-h">Usage</h2>
        <span className="muted small">
          Requests, writes and size per day, {first} to {last} (UTC).
        </span>
      </figcaption>
      <div className="chart-area usage-chart" aria-hidden={hydrated ? undefined : true}>
        {hydrated ? (
          <ResponsiveContainer width="100%" height={HEIGHT}>
            <ComposedChart data={[...usage]} margin={{ top: 8, right: 8, bottom: 8, left: 8 }}>
              <CartesianGrid strokeDasharray="3 3" vertical={false} />
              <XAxis dataKey="day" tickFormatter={(day: string) => day.slice(5)} minTickGap={12} />
              <YAxis yAxisId="count" allowDecimals={false} width={48} />
              <YAxis yAxisId="size" orientation="right" width={64} tickFormatter={(bytes: number) => formatBytes(bytes)} />
              <Tooltip formatter={(value, name) => (name === 'Size' && typeof value === 'number' ? formatBytes(value) : value)} />
              <Legend verticalAlign="top" height={24} />
              <Bar yAxisId="count" dataKey="reads" name="Requests" fill="#1f5fbf" isAnimationActive={false} />
              <Bar yAxisId="count" dataKey="writes" name="Writes" fill="#1a7f37" isAnimationActive={false} />
              <Line yAxisId="size" dataKey="sizeBytes" name="Size" type="stepAfter" stroke="#8250df" strokeWidth={2} dot={false} isAnimationActive={false} connectNulls />
            </ComposedChart>
          </ResponsiveContainer>
        ) : null}
      </div>
      <details>
        <summary>Show the numbers</summary>
        <DataTable caption="Usage per day" columns={COLUMNS} rows={usage} rowKey={(point) => point.day} rowProps={(point) => ({ 'data-usage-day': point.day })} />
      </details>
    </figure>
  );
}
