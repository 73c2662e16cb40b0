import { formatCount, formatDuration } from '@silo/fleet/format';
import { DataTable, type DataColumn } from '../../components/data-table';
import type { MigrationRow } from '../../lib/ndjson';
import type { RunState } from './use-migrate-all';

const RESULT_COLUMNS: readonly DataColumn<MigrationRow>[] = [
  { header: 'Instance', cell: (r) => r.instance },
  { header: 'Status', cell: (r) => <span className={`badge ${r.status === 'failed' ? 'bad' : 'ok'}`}>{r.status}</span> },
  { header: 'From', cell: (r) => r.from ?? '—' },
  { header: 'To', cell: (r) => r.to ?? '—' },
  { header: 'Time', cell: (r) => formatDuration(r.durationMs) },
  { header: 'Error', cell: (r) => r.error ?? '', className: 'detail' },
];

/** Progress of a running "migrate all", then its summary and per-instance results. */
export function RunResult({ run }: { run: RunState }) {
  const running = !run.finished;
  const rows = run.results ?? run.failures;
  return (
    <section aria-labelledby="run-h" aria-busy={running}>
      <h2 id="run-h">{run.finished ? 'Result' : 'Migrating'}</h2>
      <div className="progress" role="status" aria-live="polite">
        <span data-testid="migrate-progress">
          {formatCount(run.succeeded)} succeeded · {formatCount(run.failed)} failed · {formatCount(Math.max(0, run.total - run.done))} remaining
          {run.summary ? ` · ${formatDuration(run.summary.durationMs)}` : ''}
        </span>
        <progress max={Math.max(1, run.total)} value={run.done} aria-label="Instances migrated" />
      </div>
      {run.error ? (
        <p className="error" role="alert">
          {run.error}
        </p>
      ) : null}
      {run.summary ? (
        <p data-testid="migrate-summary">
          Migrated {formatCount(run.summary.migrated)}, already up to date {formatCount(run.summary.upToDate)}, failed {formatCount(run.summary.failed)}.
        </p>
      ) : null}
      {rows.length > 0 ? <DataTable label="Migration results" columns={RESULT_COLUMNS} rows={rows} rowKey={(r) => r.instance} /> : null}
      {run.omitted ? <p className="muted">{formatCount(run.omitted)} more successful results not shown.</p> : null}
    </section>
  );
}
