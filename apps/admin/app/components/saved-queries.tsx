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
  const busy = fetcher.state !== 'idle';
  const save = (): void => {
    const sql = formRef.current ? new FormData(formRef.current).get('sql') : null;
    void fetcher.submit({ csrf, intent: 'save-query', name, sql: typeof sql === 'string' ? sql : '' }, { method: 'post', action: ACTION });
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
                disabled={busy}
                onClick={() => void fetcher.submit({ csrf, intent: 'delete-query', id: String(query.id) }, { method: 'post', action: ACTION })}
              >
                Delete<span className="visually-hidden"> {query.name}</span>
              </button>
            </span>
          </li>
        ))}
      </ul>
      <div className="row save-query">
        <input aria-label="Name for the editor's query" placeholder="Name" value={name} maxLength={100} onChange={(event) => setName(event.currentTarget.value)} />
        <button type="button" disabled={busy || name.trim() === ''} onClick={save}>
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
