import { formatCount, formatDuration } from '@silo/fleet/format';
import { useState } from 'react';
import { useRevalidator } from 'react-router';
import type { Route } from './+types/migrations';
import { fleetContext } from '../lib/fleet.server';
import { readNdjson, type MigrateEvent, type MigrationRow } from '../lib/ndjson';
import { useShell } from '../components/csrf';

export const meta: Route.MetaFunction = () => [{ title: 'Migrations · Silo admin' }];

export function loader({ context }: Route.LoaderArgs) {
  const fleet = context.get(fleetContext);
  return { status: fleet.migrationStatus(), migrations: fleet.schema.migrations.map((m) => ({ version: m.version, name: m.name })) };
}

interface RunState {
  total: number;
  done: number;
  succeeded: number;
  failed: number;
  finished: boolean;
  failures: MigrationRow[];
  results?: MigrationRow[];
  omitted?: number;
  summary?: { migrated: number; upToDate: number; failed: number; durationMs: number };
  error?: string;
}

export default function Migrations({ loaderData }: Route.ComponentProps) {
  const { status, migrations } = loaderData;
  const { csrf } = useShell();
  const { revalidate } = useRevalidator();
  const [run, setRun] = useState<RunState | null>(null);
  const running = run !== null && !run.finished;

  async function migrateAll(): Promise<void> {
    const state: RunState = { total: status.behind, done: 0, succeeded: 0, failed: 0, finished: false, failures: [] };
    setRun({ ...state });
    try {
      const response = await fetch('/migrations/run', { method: 'POST', headers: { 'X-CSRF-Token': csrf } });
      for await (const event of readNdjson<MigrateEvent>(response)) {
        if (event.type === 'busy') {
          state.finished = true;
          state.error = event.error;
        } else if (event.type === 'start') state.total = event.total;
        else if (event.type === 'progress') {
          Object.assign(state, { total: event.total, done: event.done, succeeded: event.succeeded, failed: event.failed });
          if (event.last.status === 'failed') state.failures = [...state.failures, event.last];
        } else {
          state.finished = true;
          state.results = event.results;
          state.omitted = event.omitted;
          state.done = event.migrated + event.upToDate + event.failed;
          state.succeeded = event.migrated + event.upToDate;
          state.failed = event.failed;
          state.summary = { migrated: event.migrated, upToDate: event.upToDate, failed: event.failed, durationMs: event.durationMs };
        }
        setRun({ ...state });
      }
      if (!response.ok && !state.error) state.error = `HTTP ${response.status}`;
      if (!state.finished) state.error ??= 'The connection ended before the migration reported its result; check the audit log.';
      state.finished = true;
      setRun({ ...state });
    } catch (error) {
      setRun({ ...state, finished: true, error: error instanceof Error ? error.message : String(error) });
    }
    void revalidate();
  }

  return (
    <>
      <h1>Migrations</h1>
      <div className="grid-2">
        <section className="card" aria-labelledby="status-h">
          <h2 id="status-h">Status</h2>
          <p data-testid="behind">
            Latest schema: <strong>v{status.latestVersion}</strong>. {status.behind === 0 ? 'Every instance is up to date.' : `${formatCount(status.behind)} instance${status.behind === 1 ? ' is' : 's are'} behind.`}
          </p>
          <table className="data" aria-label="Instances by schema version">
            <thead>
              <tr>
                <th scope="col">Version</th>
                <th scope="col">Instances</th>
              </tr>
            </thead>
            <tbody>
              {status.byVersion.map((v) => (
                <tr key={v.version}>
                  <td>v{v.version}</td>
                  <td className="num">{formatCount(v.count)}</td>
                </tr>
              ))}
            </tbody>
          </table>
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
        <button type="button" className="primary" disabled={running || status.behind === 0} onClick={() => void migrateAll()}>
          {running ? 'Migrating…' : 'Migrate all'}
        </button>
        <span className="muted small">Each instance migrates in its own transaction; failures do not stop the others.</span>
      </p>

      {run ? (
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
          {(run.results ?? run.failures).length > 0 ? (
            <div className="table-wrap">
              <table className="data" aria-label="Migration results">
                <thead>
                  <tr>
                    <th scope="col">Instance</th>
                    <th scope="col">Status</th>
                    <th scope="col">From</th>
                    <th scope="col">To</th>
                    <th scope="col">Time</th>
                    <th scope="col">Error</th>
                  </tr>
                </thead>
                <tbody>
                  {(run.results ?? run.failures).map((r) => (
                    <tr key={r.instance}>
                      <td>{r.instance}</td>
                      <td>
                        <span className={`badge ${r.status === 'failed' ? 'bad' : 'ok'}`}>{r.status}</span>
                      </td>
                      <td>{r.from ?? '—'}</td>
                      <td>{r.to ?? '—'}</td>
                      <td>{formatDuration(r.durationMs)}</td>
                      <td className="detail">{r.error ?? ''}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          ) : null}
          {run.omitted ? <p className="muted">{formatCount(run.omitted)} more successful results not shown.</p> : null}
        </section>
      ) : null}
    </>
  );
}
