import { useState } from 'react';
import { Link } from 'react-router';
import { CsrfField } from '../../components/csrf';
import { OnceField } from '../../components/once-field';
import { DownloadForm } from '../../components/download-form';
import { OnceForm, SubmitButton } from '@silo/web/once-form';
import { useHydrated } from '../../components/hydrated';
import type { InstanceRowView } from '../../lib/instances';

interface Props {
  instance: InstanceRowView;
  regions: string[];
  /** This rendering's one-time token for the clone form (components/once-field.tsx). */
  cloneToken: string;
  /** The intent of the form being submitted, if any. */
  busyIntent: string | undefined;
  /** The intent the server asked to confirm (a form sent without JavaScript), if any. */
  confirming?: string | undefined;
}

/** Export, clone, delete, undelete and purge, as the instance's state allows. */
export function ActionsCard({ instance, regions, cloneToken, busyIntent, confirming }: Props) {
  return (
    <section className="card stack" aria-labelledby="actions-h">
      <h2 id="actions-h">Actions</h2>
      {instance.state === 'ready' || instance.state === 'deleted' ? (
        <DownloadForm action={`/instances/${instance.name}/export`} label="Export .sqlite" busyLabel="Preparing the export…" />
      ) : null}
      {instance.state === 'ready' ? (
        <OnceForm method="post" className="inline-form" aria-label="Clone">
          <CsrfField />
          <input type="hidden" name="intent" value="clone" />
          <OnceField token={cloneToken} />
          <label htmlFor="clone-name">
            Clone as (optional)
            <input id="clone-name" name="newName" pattern="[a-z0-9\-]{3,63}" placeholder={`${instance.name}-copy`} />
          </label>
          <label htmlFor="clone-region">
            Region
            <select id="clone-region" name="region" defaultValue="">
              <option value="">same as source</option>
              {regions.map((id) => (
                <option key={id} value={id}>
                  {id}
                </option>
              ))}
            </select>
          </label>
          <label htmlFor="clone-as-of">
            As of (optional, UTC)
            <input id="clone-as-of" name="asOf" autoComplete="off" spellCheck={false} placeholder="1h, or 2026-11-27T15:04Z" aria-describedby="clone-as-of-hint" />
          </label>
          <span id="clone-as-of-hint" className="hint">
            Empty: as it is now. Otherwise as it was at that moment: ISO 8601 with an offset (a time without one is UTC) or a span ago (15m, 2h, 3d). Without history in the engine, this restores
            the newest backup point at or before it as the new instance.
          </span>
          <SubmitButton>{busyIntent === 'clone' ? 'Cloning…' : 'Clone'}</SubmitButton>
        </OnceForm>
      ) : null}
      {instance.state === 'ready' ? (
        <ConfirmForm
          intent="delete"
          label="Delete"
          busy={busyIntent === 'delete'}
          question={`Delete ${instance.name}? It can be undeleted until purged.`}
          confirming={confirming === 'delete'}
          danger
        />
      ) : null}
      {instance.state === 'deleted' ? <ConfirmForm intent="undelete" label="Undelete" busy={busyIntent === 'undelete'} /> : null}
      {instance.state === 'deleted' || instance.state === 'failed' ? (
        <PurgeForm name={instance.name} busy={busyIntent === 'purge'} />
      ) : null}
    </section>
  );
}

/** Purging cannot be undone, so the name must be typed (the server checks it too), not just confirmed. */
function PurgeForm({ name, busy }: { name: string; busy: boolean }) {
  const [typed, setTyped] = useState('');
  return (
    <OnceForm method="post" className="stack purge-form" aria-label={`Purge ${name}`}>
      <CsrfField />
      <input type="hidden" name="intent" value="purge" />
      <label>
        Type <strong>{name}</strong> to purge it: its database is removed and cannot be restored
        <input name="confirmName" autoComplete="off" spellCheck={false} value={typed} onChange={(event) => setTyped(event.currentTarget.value)} required />
      </label>
      <SubmitButton className="danger" disabled={typed !== name}>
        {busy ? 'Purging…' : 'Purge for good'}
      </SubmitButton>
    </OnceForm>
  );
}

/**
 * A form that asks before it acts. With JavaScript, `confirm()` asks and the form says so
 * (`confirmed`); without, the server answers the unconfirmed post with `confirming` and the
 * form becomes the question, with the button that confirms and a way back.
 */
function ConfirmForm({
  intent,
  label,
  busy,
  question,
  danger,
  confirming = false,
}: {
  intent: string;
  label: string;
  busy: boolean;
  question?: string;
  danger?: boolean;
  confirming?: boolean;
}) {
  const hydrated = useHydrated();
  const asking = question !== undefined && confirming && !busy;
  return (
    <OnceForm
      method="post"
      className={asking ? 'stack confirm-form' : undefined}
      onSubmit={(event) => {
        if (question && !asking && !window.confirm(question)) event.preventDefault();
      }}
    >
      <CsrfField />
      <input type="hidden" name="intent" value={intent} />
      {question ? <input type="hidden" name="confirmed" value={asking || hydrated ? 'yes' : ''} /> : null}
      {asking ? (
        <p role="alert" className="notice">
          {question}
        </p>
      ) : null}
      <div className="row">
        <SubmitButton className={danger ? 'danger' : undefined}>{busy ? `${label}…` : label}</SubmitButton>
        {asking ? <Link to=".">Cancel</Link> : null}
      </div>
    </OnceForm>
  );
}
