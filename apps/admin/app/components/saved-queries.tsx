import { useState, type RefObject } from 'react';
import { useFetcher } from 'react-router';
import type { SavedQuery } from '@silo/fleet';
import { useShell } from './csrf';
import { setEditorText } from './sql-editor';

interface Props {
  saved: readonly SavedQuery[];
  /** The form whose `sql` field is the editor. */
  formRef: RefObject<HTMLFormElement | null>;
}

const ACTION = '/saved-queries';

/** This admin's saved queries: load one into the editor, save the editor's text under a name, delete. */
export function SavedQueries({ saved, formRef }: Props) {
  const { csrf } = useShell();
  const fetcher = useFetcher<{ savedQuery?: string; error?: string }>();
  const [name, setName] = useState('');
  // One change at a time. The fetcher's state is shown at once (flushSync), not in a later
  // transition, so a double click's second click finds it busy and sends nothing; the buttons
  // keep the focus meanwhile (aria-disabled).
  const busy = fetcher.state !== 'idle';
  const send = (fields: Record<string, string>): void => {
    if (!busy) void fetcher.submit({ csrf, ...fields }, { method: 'post', action: ACTION, flushSync: true });
  };
  const save = (): void => {
    const sql = formRef.current ? new FormData(formRef.current).get('sql') : null;
    send({ intent: 'save-query', name, sql: typeof sql === 'string' ? sql : '' });
  };
  return (
    <section aria-labelledby="saved-h" className="saved-queries">
      <h2 id="saved-h">Saved queries</h2>
      {saved.length === 0 ? <p className="muted small">None yet: save the editor&apos;s query under a name.</p> : null}
      <ul className="history">
        {saved.map((query) => (
          <li key={query.id} data-saved-query={query.name}>
            <strong>{query.name}</strong>
            <code className="history-sql" title={query.sql}>
              {query.sql}
            </code>
            <span className="history-meta">
              <button type="button" onClick={() => setEditorText(formRef.current, 'sql', query.sql)}>
                Load<span className="visually-hidden"> {query.name} into the editor</span>
              </button>
              <button
                type="button"
                className="link"
                aria-disabled={busy || undefined}
                onClick={() => send({ intent: 'delete-query', id: String(query.id) })}
              >
                Delete<span className="visually-hidden"> {query.name}</span>
              </button>
            </span>
          </li>
        ))}
      </ul>
      <div className="row save-query">
        <input aria-label="Name for the editor's query" placeholder="Name" value={name} maxLength={100} onChange={(event) => setName(event.currentTarget.value)} />
        <button type="button" disabled={name.trim() === ''} aria-disabled={busy || undefined} onClick={save}>
          Save query
        </button>
      </div>
      {fetcher.data?.error ? (
        <p className="error small" role="alert">
          {fetcher.data.error}
        </p>
      ) : null}
      {fetcher.data?.savedQuery ? (
        <p className="muted small" role="status">
          Saved “{fetcher.data.savedQuery}”.
        </p>
      ) : null}
    </section>
  );
}
