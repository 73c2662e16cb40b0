import { formatCount, formatDuration } from '@silo/fleet/format';
import { useRef } from 'react';
import { DownloadForm } from '../../components/download-form';
import { groupErrors } from '../../lib/combine-results';
import type { BulkAction } from '../../lib/ndjson';
import type { ListParams } from '../../lib/instances.server';
import { selectionFields, type SelectionControls } from './selection';
import { useBulkRun, type BulkRun } from './use-bulk-run';

const LABELS: Record<BulkAction, { button: string; running: string; done: string }> = {
  delete: { button: 'Delete…', running: 'Deleting', done: 'Deleted' },
  backup: { button: 'Back up now', running: 'Backing up', done: 'Backed up' },
  migrate: { button: 'Migrate', running: 'Migrating', done: 'Migrated' },
};

interface Props {
  controls: SelectionControls;
  params: ListParams;
  total: number;
  /** The names on this page, for "select all on this page". */
  pageNames: readonly string[];
}

/**
 * The bulk actions on the checked instances, or on every instance matching the filter: delete
 * (after a confirmation), back up now and migrate run one instance at a time with progress;
 * export downloads one .tar.gz of their exports.
 */
export function BulkBar({ controls, params, total, pageNames }: Props) {
  const { selection } = controls;
  const { run, start } = useBulkRun();
  const confirmRef = useRef<HTMLDialogElement>(null);
  const count = selection.allMatching ? total : selection.names.size;
  const running = run !== null && !run.finished;
  const wholePageChecked = pageNames.length > 0 && pageNames.every((name) => selection.names.has(name));
  const fields = selectionFields(selection, params);

  const launch = (action: BulkAction): void => {
    void start(action, new URLSearchParams(fields)).then(() => controls.clear());
  };

  return (
    <section className="bulk-bar" aria-label="Bulk actions">
      <p className="bulk-count" role="status" aria-live="polite">
        {count === 0 ? 'Select instances to act on several at once.' : selection.allMatching ? `All ${formatCount(total)} instances matching the filter are selected.` : `${formatCount(count)} selected.`}
      </p>
      {wholePageChecked && !selection.allMatching && total > pageNames.length ? (
        <button type="button" className="link" onClick={controls.selectAllMatching}>
          Select all {formatCount(total)} matching the filter
        </button>
      ) : null}
      {count > 0 ? (
        <button type="button" className="link" onClick={controls.clear}>
          Clear selection
        </button>
      ) : null}
      <div className="bulk-actions">
        <button type="button" disabled={count === 0 || running} onClick={() => launch('backup')}>
          {LABELS.backup.button}
        </button>
        <button type="button" disabled={count === 0 || running} onClick={() => launch('migrate')}>
          {LABELS.migrate.button}
        </button>
        {/* A download, not a fetch: the browser streams the archive to disk and shows its progress. */}
        <DownloadForm action="/bulk/export" fields={fields} label="Export (.tar.gz)" busyLabel="Starting the export…" disabled={count === 0 || running} />
        <button type="button" className="danger" disabled={count === 0 || running} onClick={() => confirmRef.current?.showModal()}>
          {LABELS.delete.button}
        </button>
      </div>
      <dialog ref={confirmRef} aria-labelledby="bulk-delete-h" aria-describedby="bulk-delete-d">
        <form
          method="dialog"
          className="stack"
          onSubmit={(event) => {
            const submitter = (event.nativeEvent as SubmitEvent).submitter;
            if (submitter instanceof HTMLButtonElement && submitter.value === 'delete') launch('delete');
          }}
        >
          <h2 id="bulk-delete-h">Delete {formatCount(count)} instance{count === 1 ? '' : 's'}?</h2>
          <p id="bulk-delete-d">
            {selection.allMatching ? 'Every instance matching the filter when you confirm is deleted. ' : ''}
            Their apps stop at once. Each can be undeleted until it is purged.
          </p>
          <div className="bulk-actions">
            <button type="submit" value="cancel" autoFocus>
              Cancel
            </button>
            <button type="submit" value="delete" className="danger">
              Delete {formatCount(count)}
            </button>
          </div>
        </form>
      </dialog>
      {run ? <BulkProgress run={run} /> : null}
    </section>
  );
}

function BulkProgress({ run }: { run: BulkRun }) {
  const labels = LABELS[run.action];
  return (
    <div className="bulk-run" aria-busy={!run.finished}>
      <div className="progress" role="status" aria-live="polite">
        <span data-testid="bulk-progress">
          {run.finished ? labels.done : labels.running}: {formatCount(run.ok)} done · {formatCount(run.failed)} failed · {formatCount(Math.max(0, run.total - run.done))} remaining
          {run.durationMs !== undefined ? ` · ${formatDuration(run.durationMs)}` : ''}
        </span>
        <progress max={Math.max(1, run.total)} value={run.done} aria-label={`Instances ${labels.done.toLowerCase()}`} />
      </div>
      {run.error ? (
        <p className="error" role="alert">
          {run.error}
        </p>
      ) : null}
      {run.failures.length > 0 ? (
        <ul className="error-groups" aria-label="Failures">
          {groupErrors(run.failures).map((group) => (
            <li key={`${group.code}:${group.error}`} data-error-count={group.count}>
              <strong>{group.code}</strong>: {group.error} — {formatCount(group.count)} instance{group.count === 1 ? '' : 's'}
              <span className="muted">
                {' '}
                ({group.instances.slice(0, 20).join(', ')}
                {group.count > 20 ? ` and ${formatCount(group.count - 20)} more` : ''})
              </span>
            </li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}
