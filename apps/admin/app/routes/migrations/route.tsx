import { formatCount } from '@silo/fleet/format';
import type { Route } from './+types/route';
import { DataTable, type DataColumn } from '../../components/data-table';
import { fleetContext } from '../../lib/fleet.server';
import { RunResult } from './run-result';
import { useMigrateAll } from './use-migrate-all';

export const meta: Route.MetaFunction = () => [{ title: 'Migrations · Silo admin' }];

export function loader({ context }: Route.LoaderArgs) {
  const fleet = context.get(fleetContext);
  return { status: fleet.migrationStatus(), migrations: fleet.schema.migrations.map((m) => ({ version: m.version, name: m.name })) };
}

const VERSION_COLUMNS: readonly DataColumn<{ version: number; count: number }>[] = [
  { header: 'Version', cell: (v) => `v${v.version}` },
  { header: 'Instances', cell: (v) => formatCount(v.count), className: 'num' },
];

export default function Migrations({ loaderData }: Route.ComponentProps) {
  const { status, migrations } = loaderData;
  const { run, start } = useMigrateAll(status.behind);
  const running = run !== null && !run.finished;
  return (
    <>
      <h1>Migrations</h1>
      <div className="grid-2">
        <section className="card" aria-labelledby="status-h">
          <h2 id="status-h">Status</h2>
          <p data-testid="behind">
            Latest schema: <strong>v{status.latestVersion}</strong>. {status.behind === 0 ? 'Every instance is up to date.' : `${formatCount(status.behind)} instance${status.behind === 1 ? ' is' : 's are'} behind.`}
          </p>
          <DataTable label="Instances by schema version" columns={VERSION_COLUMNS} rows={status.byVersion} rowKey={(v) => v.version} wrap={false} />
        </section>
        <section className="card" aria-labelledby="pending-h">
          <h2 id="pending-h">Pending migrations</h2>
          {status.pending.length === 0 ? <p className="muted">None.</p> : null}
          <ul>
            {status.pending.map((p) => (
              <li key={p.version}>
                v{p.version} {p.name}: {formatCount(p.instances)} instance{p.instances === 1 ? '' : 's'}
              </li>
            ))}
          </ul>
          <details>
            <summary>All migrations ({migrations.length})</summary>
            <ol>
              {migrations.map((m) => (
                <li key={m.version}>{m.name}</li>
              ))}
            </ol>
          </details>
        </section>
      </div>

      <p className="row">
        <button type="button" className="primary" disabled={running || status.behind === 0} onClick={() => void start()}>
          {running ? 'Migrating…' : 'Migrate all'}
        </button>
        <span className="muted small">Each instance migrates in its own transaction; failures do not stop the others.</span>
      </p>

      {run ? <RunResult run={run} /> : null}
    </>
  );
}
