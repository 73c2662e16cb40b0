import { formatCount, formatDuration } from '@silo/fleet/format';
import { ResultTable } from '../../components/result-table';
import { combine, type Run } from './run';

/** Progress, errors and the combined rows of a fleet query. */
export function RunResults({ run }: { run: Run }) {
  const running = !run.finished;
  const done = run.ok.length + run.errors.length;
  const combined = combine(run.ok);
  return (
    <section aria-labelledby="fq-results" aria-busy={running}>
      <h2 id="fq-results" className="visually-hidden">
        Results
      </h2>
      <div className="progress" role="status" aria-live="polite">
        <span data-testid="fq-progress">
          {run.finished ? 'Finished' : 'Running'}: {formatCount(done)} of {formatCount(run.total)} instances · {formatCount(run.ok.length)} ok ·{' '}
          {formatCount(run.errors.length)} failed
          {run.durationMs !== undefined ? ` · ${formatDuration(run.durationMs)}` : ''}
        </span>
        <progress max={Math.max(1, run.total)} value={done} aria-label="Instances done" />
      </div>
      {run.fatal ? (
        <p className="error" role="alert">
          {run.fatal}
        </p>
      ) : null}
      {run.errors.length > 0 ? (
        <div className="card" data-testid="fq-errors">
          <h3>Errors ({formatCount(run.errors.length)})</h3>
          <ul>
            {run.errors.map((e) => (
              <li key={e.instance}>
                <strong>{e.instance}</strong>: {e.code}: {e.error}
              </li>
            ))}
          </ul>
        </div>
      ) : null}
      <p className="result-meta">
        {formatCount(combined.rows.length)} rows combined{run.ok.some((r) => r.truncated) ? ' · some instances were truncated' : ''}
      </p>
      <ResultTable columns={combined.columns} rows={combined.rows} label="Combined results" />
    </section>
  );
}
