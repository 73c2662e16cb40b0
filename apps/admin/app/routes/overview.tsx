import { formatBytes, formatCount } from '@silo/fleet/format';
import { Link } from 'react-router';
import type { FleetOverview } from '@silo/fleet';
import type { Route } from './+types/overview';
import { fleetContext } from '../lib/fleet.server';
import { STATES } from '../lib/instances';
import { ActivityChart, type DayPoint } from '../components/activity-chart';
import { useLiveRevalidate } from '../components/live';

export const meta: Route.MetaFunction = () => [{ title: 'Overview · Silo admin' }];

const DAYS = 30;
const DAY_MS = 86_400_000;

/**
 * One point per UTC day, oldest first, ending today; days without data count 0. `weekly` is the
 * week's count (Monday to Sunday) on each of its days.
 */
function fillDays(days: number, now: number, overview: FleetOverview): DayPoint[] {
  const createdBy = new Map(overview.createdPerDay.map((d) => [d.day, d.count]));
  const activeBy = new Map(overview.activeTenants.perDay.map((d) => [d.day, d.count]));
  const weeklyBy = new Map(overview.activeTenants.perWeek.map((w) => [w.week, w.count]));
  const points: DayPoint[] = [];
  for (let i = days - 1; i >= 0; i--) {
    const date = new Date(now - i * DAY_MS);
    const day = date.toISOString().slice(0, 10);
    const monday = new Date(date.getTime() - ((date.getUTCDay() + 6) % 7) * DAY_MS).toISOString().slice(0, 10);
    points.push({ day, created: createdBy.get(day) ?? 0, active: activeBy.get(day) ?? 0, weekly: weeklyBy.get(monday) ?? 0 });
  }
  return points;
}

export function loader({ context }: Route.LoaderArgs) {
  const fleet = context.get(fleetContext);
  const now = Date.now();
  const overview = fleet.overview(DAYS);
  // Every known state and jurisdiction gets a card, even at 0.
  const byState = STATES.map((state) => ({ state, count: overview.byState[state] ?? 0 }));
  const jurisdictions = [...new Set([...fleet.regions.jurisdictions, ...Object.keys(overview.byJurisdiction)])];
  const byJurisdiction = jurisdictions.map((jurisdiction) => ({ jurisdiction, count: overview.byJurisdiction[jurisdiction] ?? 0 }));
  return {
    total: overview.total,
    sizeBytes: overview.sizeBytes,
    activeLast24h: overview.activeLast24h,
    byState,
    byJurisdiction,
    series: fillDays(DAYS, now, overview),
  };
}

function Stat({ label, value, to, id }: { label: string; value: string; to: string; id: string }) {
  return (
    <li className="stat" data-stat={id}>
      <Link to={to} className="card stat-link">
        <span className="stat-label">{label}</span>
        <span className="stat-value num">{value}</span>
      </Link>
    </li>
  );
}

export default function Overview({ loaderData }: Route.ComponentProps) {
  const { total, sizeBytes, activeLast24h, byState, byJurisdiction, series } = loaderData;
  useLiveRevalidate(30_000);
  return (
    <>
      <h1>Overview</h1>
      <section aria-labelledby="totals-heading" className="overview-section">
        <h2 id="totals-heading">Fleet</h2>
        <ul className="stats">
          <Stat id="total" label="Instances" value={formatCount(total)} to="/" />
          <Stat id="active" label="Active in the last 24 hours" value={formatCount(activeLast24h)} to="/?sort=lastActive&order=desc" />
          <Stat id="size" label="Size on disk" value={formatBytes(sizeBytes)} to="/?sort=size&order=desc" />
        </ul>
      </section>
      <section aria-labelledby="state-heading" className="overview-section">
        <h2 id="state-heading">By state</h2>
        <ul className="stats">
          {byState.map(({ state, count }) => (
            <Stat key={state} id={`state-${state}`} label={state[0]?.toUpperCase() + state.slice(1)} value={formatCount(count)} to={`/?state=${encodeURIComponent(state)}`} />
          ))}
        </ul>
      </section>
      <section aria-labelledby="jurisdiction-heading" className="overview-section">
        <h2 id="jurisdiction-heading">By jurisdiction</h2>
        <ul className="stats">
          {byJurisdiction.map(({ jurisdiction, count }) => (
            <Stat key={jurisdiction} id={`jurisdiction-${jurisdiction}`} label={jurisdiction.toUpperCase()} value={formatCount(count)} to={`/?jurisdiction=${encodeURIComponent(jurisdiction)}`} />
          ))}
        </ul>
      </section>
      <ActivityChart series={series} />
    </>
  );
}
