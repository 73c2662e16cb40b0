import { formatCount, formatDuration } from '@silo/fleet/format';
import { ResultTable } from '../../components/result-table';
import { combine, type Run } from './run';
import { groupErrors } from '../../lib/combine-results';

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
          <h3>
            Errors: {formatCount(run.errors.length)} instance{run.errors.length === 1 ? '' : 's'}
          </h3>
          <ul>
            {groupErrors(run.errors).map((group) => (
              <li key={`${group.code}:${group.error}`} data-error-count={group.count}>
                <strong>{group.code}</strong>: {group.error} — {formatCount(group.count)} instance{group.count === 1 ? '' : 's'}
                {group.count <= 5 ? (
                  <span className="muted"> ({group.instances.join(', ')})</span>
                ) : (
                  <details>
                    <summary>Which</summary>
                    <p className="small">
                      {group.instances.slice(0, 100).join(', ')}
                      {group.count > 100 ? ` and ${formatCount(group.count - 100)} more` : ''}
                    </p>
                  </details>
                )}
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
