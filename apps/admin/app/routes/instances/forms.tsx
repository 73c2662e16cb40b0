import { formatBytes } from '@silo/fleet/format';
import { useEffect, useState } from 'react';
import { Form, useActionData, useNavigate, useNavigation } from 'react-router';
import { CsrfField, useShell } from '../../components/csrf';
import { OnceField } from '../../components/once-field';
import { OnceForm, SubmitButton } from '@silo/web/once-form';
import { signInAgain } from '../../lib/session';
import { uploadImport, type UploadProgress } from './upload-import';

/** What the instances action answers when a create or an import is refused. */
export type InstancesActionResult = { intent: 'create' | 'import'; error: string; code: string; values: Record<string, string> };

export type Placement = { jurisdictions: string[]; regions: { id: string; jurisdiction: string }[] };

/** Errors about the name: the name field gets the focus; other errors focus their message. */
const NAME_CODES = new Set(['INVALID_NAME', 'NAME_TAKEN']);

/**
 * After a refused create or import, the keyboard is where the fix is: the name field when the
 * name is at fault, the error message otherwise (it would else be left on the page's body).
 */
function useFocusOnError(result: InstancesActionResult | undefined, nameId: string, messageId: string): void {
  useEffect(() => {
    if (!result) return;
    document.getElementById(NAME_CODES.has(result.code) ? nameId : messageId)?.focus();
  }, [result, nameId, messageId]);
}

/** An instance name field, marked invalid when the form's answer was about the name. */
function NameInput({ id, result, describedBy }: { id: string; result: InstancesActionResult | undefined; describedBy: string | undefined }) {
  return (
    <input
      id={id}
      name="name"
      required
      pattern="[a-z0-9\-]{3,63}"
      title="3–63 characters: a–z, 0–9 and -"
      defaultValue={result?.values['name'] ?? ''}
      aria-invalid={result && NAME_CODES.has(result.code) ? true : undefined}
      aria-describedby={describedBy}
    />
  );
}

function PlacementFields({ jurisdictions, regions, values, idPrefix }: Placement & { values: Record<string, string>; idPrefix: string }) {
  return (
    <>
      <label htmlFor={`${idPrefix}-jurisdiction`}>
        Jurisdiction
        <select id={`${idPrefix}-jurisdiction`} name="jurisdiction" defaultValue={values['jurisdiction'] ?? jurisdictions[0]} required>
          {jurisdictions.map((j) => (
            <option key={j} value={j}>
              {j}
            </option>
          ))}
        </select>
      </label>
      <label htmlFor={`${idPrefix}-region`}>
        Region
        <select id={`${idPrefix}-region`} name="region" defaultValue={values['region'] ?? ''}>
          <option value="">default of the jurisdiction</option>
          {regions.map((r) => (
            <option key={r.id} value={r.id}>
              {r.id} ({r.jurisdiction})
            </option>
          ))}
        </select>
      </label>
    </>
  );
}

/** `token`: this rendering's one-time token; a repeat of its post leads where the first went (components/once-field.tsx). */
export function CreateForm({ token, ...placement }: Placement & { token: string }) {
  const result = useActionData<InstancesActionResult>();
  const navigation = useNavigation();
  const mine = result?.intent === 'create' ? result : undefined;
  const busy = navigation.state === 'submitting' && navigation.formData?.get('intent') === 'create';
  useFocusOnError(mine, 'create-name', 'create-error');
  return (
    <details className="card" open={mine !== undefined}>
      <summary>Create an instance</summary>
      <OnceForm method="post" className="stack" aria-label="Create an instance">
        <CsrfField />
        <input type="hidden" name="intent" value="create" />
        <OnceField token={token} />
        <label htmlFor="create-name">
          Name
          <NameInput id="create-name" result={mine} describedBy={mine ? 'create-error create-hint' : 'create-hint'} />
        </label>
        <span id="create-hint" className="hint">
          3–63 characters: a–z, 0–9 and -
        </span>
        <label htmlFor="create-display">
          Display name (optional)
          <input id="create-display" name="displayName" maxLength={200} />
        </label>
        <PlacementFields {...placement} values={mine?.values ?? {}} idPrefix="create" />
        {mine ? (
          <p id="create-error" className="error" role="alert" tabIndex={-1}>
            {mine.error}
          </p>
        ) : null}
        <SubmitButton className="primary">{busy ? 'Creating…' : 'Create'}</SubmitButton>
      </OnceForm>
    </details>
  );
}

/** `token`: as the create form's; it and the fields before the file are read before a byte of the file is stored. */
export function ImportForm({ maxBytes, tooLargeMessage, token, ...placement }: Placement & { maxBytes: number; tooLargeMessage: string; token: string }) {
  const result = useActionData<InstancesActionResult>();
  const navigation = useNavigation();
  const navigate = useNavigate();
  const { csrf } = useShell();
  // With the page's script the file goes by XMLHttpRequest, which reports how much has gone;
  // without it, the form posts to the page's action as any form does.
  const [progress, setProgress] = useState<UploadProgress | null>(null);
  const [refused, setRefused] = useState<InstancesActionResult | undefined>(undefined);
  const mine = refused ?? (result?.intent === 'import' ? result : undefined);
  const busy = progress !== null || (navigation.state === 'submitting' && navigation.formData?.get('intent') === 'import');
  useFocusOnError(mine, 'import-name', 'import-error');
  // A file over the limit is refused here, before a byte is sent (the server refuses it too).
  const [tooLarge, setTooLarge] = useState(false);
  return (
    <details className="card" open={mine !== undefined}>
      <summary>Import a .sqlite file</summary>
      <Form
        method="post"
        encType="multipart/form-data"
        className="stack"
        aria-label="Import an instance"
        onSubmit={(event) => {
          event.preventDefault();
          if (progress !== null) return; // one import at a time
          setRefused(undefined);
          setProgress({ sent: 0, total: 0 });
          void uploadImport(event.currentTarget, csrf, setProgress).then((answer) => {
            if (answer.kind === 'signed-out') return signInAgain();
            if (answer.kind === 'imported') return void navigate(answer.location);
            setProgress(null);
            setRefused(answer.result);
          });
        }}
      >
        <CsrfField />
        <input type="hidden" name="intent" value="import" />
        <OnceField token={token} />
        <label htmlFor="import-name">
          New instance name
          <NameInput id="import-name" result={mine} describedBy={mine ? 'import-error' : undefined} />
        </label>
        <PlacementFields {...placement} values={mine?.values ?? {}} idPrefix="import" />
        {/* The file comes last: the server writes it into the staging folder of the region the fields above choose. */}
        <label htmlFor="import-file">
          SQLite file
          <input
            id="import-file"
            name="file"
            type="file"
            accept=".sqlite,.db,.sqlite3,application/vnd.sqlite3,application/octet-stream"
            required
            aria-invalid={tooLarge ? true : undefined}
            aria-describedby={tooLarge ? 'import-file-error import-file-hint' : 'import-file-hint'}
            onChange={(event) => {
              const input = event.currentTarget;
              const size = input.files?.[0]?.size ?? 0;
              input.setCustomValidity(size > maxBytes ? tooLargeMessage : '');
              setTooLarge(size > maxBytes);
            }}
          />
        </label>
        <p id="import-file-hint" className="muted small">
          Up to {formatBytes(maxBytes)}.
        </p>
        {tooLarge ? (
          <p id="import-file-error" className="error" role="alert">
            {tooLargeMessage}
          </p>
        ) : null}
        {progress !== null ? <ImportProgress progress={progress} /> : null}
        {mine ? (
          <p id="import-error" className="error" role="alert" tabIndex={-1}>
            {mine.error}
          </p>
        ) : null}
        {/* aria-disabled, not disabled: the keyboard stays on the button while the import runs. */}
        <button type="submit" className="primary" aria-disabled={busy ? true : undefined}>
          {busy ? 'Importing…' : 'Import'}
        </button>
      </Form>
    </details>
  );
}

/**
 * The upload as a bar and in words; the words (announced) move in tenths, not on every event.
 * Once the whole file has gone, the server checks it and creates the instance.
 */
function ImportProgress({ progress }: { progress: UploadProgress }) {
  const { sent, total } = progress;
  const uploaded = total > 0 && sent >= total;
  const tenths = total > 0 ? Math.floor((sent / total) * 10) * 10 : 0;
  return (
    <div className="stack">
      <progress id="import-progress" aria-label="Upload of the file" max={total > 0 ? total : undefined} value={total > 0 ? sent : undefined} />
      <p className="muted small">
        <span role="status">{uploaded ? 'Uploaded. Checking the file and creating the instance…' : total > 0 ? `Uploading: ${tenths}%` : 'Uploading…'}</span>
        {total > 0 && !uploaded ? ` (${formatBytes(sent)} of ${formatBytes(total)})` : null}
      </p>
    </div>
  );
}
