import { formatBytes } from '@silo/fleet/format';
import { Form, useActionData, useNavigation } from 'react-router';
import { CsrfField } from '../../components/csrf';

/** What the instances action answers when a create or an import is refused. */
export type InstancesActionResult = { intent: 'create' | 'import'; error: string; code: string; values: Record<string, string> };

export type Placement = { jurisdictions: string[]; regions: { id: string; jurisdiction: string }[] };

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

export function CreateForm(placement: Placement) {
  const result = useActionData<InstancesActionResult>();
  const navigation = useNavigation();
  const mine = result?.intent === 'create' ? result : undefined;
  const busy = navigation.state === 'submitting' && navigation.formData?.get('intent') === 'create';
  return (
    <details className="card" open={mine !== undefined}>
      <summary>Create an instance</summary>
      <Form method="post" className="stack" aria-label="Create an instance">
        <CsrfField />
        <input type="hidden" name="intent" value="create" />
        <label htmlFor="create-name">
          Name
          <input
            id="create-name"
            name="name"
            required
            pattern="[a-z0-9\-]{3,63}"
            title="3–63 characters: a–z, 0–9 and -"
            defaultValue={mine?.values['name'] ?? ''}
            aria-invalid={mine ? true : undefined}
            aria-describedby={mine ? 'create-error' : 'create-hint'}
          />
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
          <p id="create-error" className="error" role="alert">
            {mine.error}
          </p>
        ) : null}
        <button type="submit" className="primary" disabled={busy}>
          {busy ? 'Creating…' : 'Create'}
        </button>
      </Form>
    </details>
  );
}

export function ImportForm({ maxBytes, ...placement }: Placement & { maxBytes: number }) {
  const result = useActionData<InstancesActionResult>();
  const navigation = useNavigation();
  const mine = result?.intent === 'import' ? result : undefined;
  const busy = navigation.state === 'submitting' && navigation.formData?.get('intent') === 'import';
  return (
    <details className="card" open={mine !== undefined}>
      <summary>Import a .sqlite file</summary>
      <Form method="post" encType="multipart/form-data" className="stack" aria-label="Import an instance">
        <CsrfField />
        <input type="hidden" name="intent" value="import" />
        <label htmlFor="import-name">
          New instance name
          <input id="import-name" name="name" required pattern="[a-z0-9\-]{3,63}" defaultValue={mine?.values['name'] ?? ''} aria-describedby={mine ? 'import-error' : undefined} />
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
            aria-describedby="import-file-hint"
          />
        </label>
        <p id="import-file-hint" className="muted small">
          Up to {formatBytes(maxBytes)}.
        </p>
        {mine ? (
          <p id="import-error" className="error" role="alert">
            {mine.error}
          </p>
        ) : null}
        <button type="submit" className="primary" disabled={busy}>
          {busy ? 'Importing…' : 'Import'}
        </button>
      </Form>
    </details>
  );
}
