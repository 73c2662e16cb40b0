import { formatBytes } from '@silo/fleet/format';
import { useEffect, useRef, useState } from 'react';
import { CsrfField } from './csrf';
import { OnceField } from './once-field';
import { OnceForm, SubmitButton } from '@silo/web/once-form';
import { DataTable, type DataColumn } from './data-table';
import { useHydrated } from './hydrated';
import { relativeTime } from '../lib/format';
import { REASON_LABELS, formatInterval, pointTime, type BackupAction, type BackupPanelView } from '../lib/backups';

interface Props {
  name: string;
  view: BackupPanelView | null;
  /** The last backup action's outcome (the route's action data), if it was one. */
  result: BackupAction | undefined;
  /** The intent being submitted now, for pending states. */
  busyIntent: string | undefined;
  now: number;
  /** This rendering's one-time token for *Restore* and *Undo last restore* (lib/submit-once.server.ts). */
  once: string;
}

/**
 * The instance page's backups: status, points, and the actions (back up now, restore as a new
 * instance or in place, undo). Every action posts to the instance route with an `intent`.
 */
export function BackupsPanel({ name, view, result, busyIntent, now, once }: Props) {
  const messageRef = useRef<HTMLParagraphElement>(null);
  // After an action, move focus to what it said: the field at fault, or the message.
  useEffect(() => {
    if (!result) return;
    const target = result.field ? document.getElementById(`restore-${result.field}`) : messageRef.current;
    target?.focus();
  }, [result]);

  if (view === null) {
    return (
      <section className="card" aria-labelledby="backups-h">
        <h2 id="backups-h">Backups</h2>
        <p className="muted">Only ready or deleted instances have backups to show.</p>
      </section>
    );
  }
  if ('unavailable' in view) {
    return (
      <section className="card" aria-labelledby="backups-h">
        <h2 id="backups-h">Backups</h2>
        <p className="error" role="alert">
          The backups could not be read: {view.unavailable}
        </p>
      </section>
    );
  }

  const { status, points, hasUndo, intervalMs } = view;
  const ready = status.state === 'ready';
  const verification = status.lastVerification;
  return (
    <section className="card stack backups" aria-labelledby="backups-h" data-testid="backups-panel">
      <h2 id="backups-h">Backups</h2>
      <div aria-live="polite">
        {result?.ok ? (
          <p className="notice" ref={messageRef} tabIndex={-1} data-testid="backup-result">
            {result.ok}
          </p>
        ) : null}
        {result?.error && !result.field ? (
          <p className="error" role="alert" ref={messageRef} tabIndex={-1} data-testid="backup-error">
            {result.error}
          </p>
        ) : null}
      </div>
      <dl className="details">
        <dt>Last backup</dt>
        <dd data-testid="last-backup">{status.lastBackupAt === null ? 'never' : `${pointTime(status.lastBackupAt)} UTC (${relativeTime(status.lastBackupAt, now)})`}</dd>
        <dt>Changes waiting</dt>
        <dd>
          {status.pending ? (
            <>
              <span className="badge warn">pending</span> changed since the last point; up to {formatInterval(Math.max(1_000, status.lagMs))} behind, in the next backup (every {formatInterval(intervalMs)})
            </>
          ) : (
            'none: the last point holds every change'
          )}
        </dd>
        <dt>State</dt>
        <dd data-testid="backup-state">
          {status.lastError ? (
            <>
              <span className="badge bad">failing</span> {status.failures} failed attempt{status.failures === 1 ? '' : 's'}
              <span className="error"> {status.lastError}</span>
            </>
          ) : (
            <span className="badge ok">ok</span>
          )}
        </dd>
        <dt>Points</dt>
        <dd>
          {status.points} {status.oldestPointAt !== null ? <span className="muted small">(oldest {pointTime(status.oldestPointAt)} UTC)</span> : null}
        </dd>
        <dt>Location</dt>
        <dd>
          <code>{status.location}</code> <span className="muted small">({status.jurisdiction})</span>
        </dd>
        <dt>Last verification</dt>
        <dd data-testid="backup-verification">
          {verification === null ? (
            'not checked yet'
          ) : verification.ok ? (
            <>
              <span className="badge ok">passed</span> {pointTime(verification.at)} UTC
            </>
          ) : (
            <>
              <span className="badge bad">failed</span> {pointTime(verification.at)} UTC: <span className="error">{verification.problems.join('; ')}</span>
            </>
          )}
        </dd>
      </dl>

      <div className="row">
        {ready ? (
          <OnceForm method="post">
            <CsrfField />
            <input type="hidden" name="intent" value="backup-now" />
            <SubmitButton>{busyIntent === 'backup-now' ? 'Backing up…' : 'Back up now'}</SubmitButton>
          </OnceForm>
        ) : null}
        {ready && hasUndo ? (
          <OnceForm
            method="post"
            onSubmit={(event) => {
              if (!window.confirm(`Undo the last in-place restore of ${name}? Its current data is kept as an undo point in turn.`)) event.preventDefault();
            }}
          >
            <CsrfField />
            <OnceField token={once} />
            <input type="hidden" name="intent" value="backup-undo" />
            <SubmitButton>{busyIntent === 'backup-undo' ? 'Undoing…' : 'Undo last restore'}</SubmitButton>
          </OnceForm>
        ) : null}
      </div>

      <PointsTable points={points} total={status.points} />
      {points.length > 0 ? <RestoreForm name={name} points={points} ready={ready} intervalMs={intervalMs} result={result} busy={busyIntent === 'backup-restore'} once={once} /> : null}
    </section>
  );
}

function PointsTable({ points, total }: { points: Points; total: number }) {
  if (points.length === 0) return <p className="muted">No backup points yet.</p>;
  return (
    <DataTable
      label="Backup points"
      caption="Backup points, newest first"
      columns={POINT_COLUMNS}
      rows={points}
      rowKey={(point) => point.id}
      rowProps={(point) => ({ 'data-point': point.id })}
      footer={total > points.length ? <p className="muted small pad">The newest {points.length} of {total} points.</p> : null}
    />
  );
}

const POINT_COLUMNS: readonly DataColumn<Points[number]>[] = [
  { header: 'Taken (UTC)', cell: (point) => pointTime(point.takenAt), className: 'num' },
  { header: 'Reason', cell: (point) => REASON_LABELS[point.reason] ?? point.reason },
  { header: 'Size', cell: (point) => (point.sizeBytes === undefined ? '—' : formatBytes(point.sizeBytes)), className: 'num' },
  {
    header: 'Stored',
    cell: (point) => (point.storedBytes === undefined ? '—' : formatBytes(point.storedBytes)),
    className: 'num',
    title: 'New data this point added to the location',
  },
];

type Points = Extract<BackupPanelView, { points: unknown }>['points'];

function RestoreForm({
  name,
  points,
  ready,
  intervalMs,
  result,
  busy,
  once,
}: {
  name: string;
  points: Points;
  ready: boolean;
  intervalMs: number;
  result: BackupAction | undefined;
  busy: boolean;
  once: string;
}) {
  const hydrated = useHydrated();
  const mine = result?.intent === 'backup-restore' ? result : undefined;
  // A refused form keeps what was typed; a done one starts afresh.
  const kept = mine?.error ? mine.values : {};
  const [mode, setMode] = useState(kept['mode'] === 'in-place' ? 'in-place' : 'new');
  const errorOf = (key: BackupAction['field']): string | undefined => (key !== undefined && mine?.field === key ? mine.error : undefined);
  const invalid = (key: BackupAction['field'], hint?: string) =>
    errorOf(key) ? { 'aria-invalid': true as const, 'aria-describedby': [`restore-${key ?? ''}-error`, hint].filter(Boolean).join(' ') } : {};
  const fieldError = (key: NonNullable<BackupAction['field']>) =>
    errorOf(key) ? (
      <p id={`restore-${key}-error`} className="error" role="alert">
        {errorOf(key)}
      </p>
    ) : null;
  // Without JavaScript both groups show and the server checks the one the mode needs.
  const showNew = !hydrated || mode === 'new';
  const showInPlace = !hydrated || mode === 'in-place';
  return (
    <OnceForm method="post" className="stack restore-form" aria-label="Restore from a backup" key={mine ? JSON.stringify(mine) : 'fresh'}>
      <h3 className="h3">Restore</h3>
      <CsrfField />
      <OnceField token={once} />
      <input type="hidden" name="intent" value="backup-restore" />
      <label htmlFor="restore-point">
        Backup point
        <select id="restore-point" name="point" defaultValue={kept['point'] ?? String(points[0]?.takenAt ?? '')} {...invalid('point')}>
          {points.map((point) => (
            <option key={point.id} value={point.takenAt}>
              {pointTime(point.takenAt)} UTC · {REASON_LABELS[point.reason] ?? point.reason}
              {point.sizeBytes === undefined ? '' : ` · ${formatBytes(point.sizeBytes)}`}
            </option>
          ))}
        </select>
      </label>
      {fieldError('point')}
      <label htmlFor="restore-moment">
        Restore to a moment (UTC, optional)
        <input id="restore-moment" name="moment" type="datetime-local" step="1" defaultValue={kept['moment'] ?? ''} aria-describedby="restore-moment-hint" {...invalid('moment', 'restore-moment-hint')} />
      </label>
      <p id="restore-moment-hint" className="hint">
        When set, it wins over the point above: the latest point taken at or before this moment is restored. Points are taken only when {name} changed, at most
        every {formatInterval(intervalMs)}, so you get the data as of that point, not of the exact second.
      </p>
      {fieldError('moment')}
      <fieldset className="plain">
        <legend>How</legend>
        <label className="check">
          <input id="restore-mode-new" type="radio" name="mode" value="new" checked={mode === 'new'} onChange={() => setMode('new')} />
          As a new instance ({name} keeps serving)
        </label>
        <label className={`check${ready ? '' : ' muted'}`}>
          <input id="restore-mode-in-place" type="radio" name="mode" value="in-place" checked={mode === 'in-place'} onChange={() => setMode('in-place')} disabled={!ready} />
          In place (replaces {name}&apos;s data)
        </label>
      </fieldset>
      {showNew ? (
        <>
          <label htmlFor="restore-newName">
            New instance name
            <input
              id="restore-newName"
              name="newName"
              pattern="[a-z0-9\-]{3,63}"
              title="3–63 characters: a–z, 0–9 and -"
              placeholder={`${name}-restored`}
              defaultValue={kept['newName'] ?? ''}
              autoComplete="off"
              {...(errorOf('newName') ? invalid('newName') : { 'aria-describedby': 'restore-newName-hint' })}
            />
          </label>
          <p id="restore-newName-hint" className="hint">
            3–63 characters: a–z, 0–9 and -. Same jurisdiction and region as {name}.
          </p>
          {fieldError('newName')}
        </>
      ) : null}
      {showInPlace && ready ? (
        <>
          <p className="warning-box" id="restore-in-place-explain">
            In place replaces all of {name}&apos;s current data with the point. The data it replaces is first kept as an undo point, and &ldquo;Undo last restore&rdquo; brings it back.
          </p>
          <label htmlFor="restore-confirm">
            Type {name} to confirm an in-place restore
            <input
              id="restore-confirm"
              name="confirm"
              autoComplete="off"
              spellCheck={false}
              {...(errorOf('confirm') ? invalid('confirm') : { 'aria-describedby': 'restore-in-place-explain' })}
            />
          </label>
          {fieldError('confirm')}
        </>
      ) : null}
      <SubmitButton className={hydrated && mode === 'in-place' ? 'danger' : 'primary'}>
        {busy ? 'Restoring…' : !hydrated ? 'Restore' : mode === 'in-place' ? 'Restore in place' : 'Restore as a new instance'}
      </SubmitButton>
    </OnceForm>
  );
}
