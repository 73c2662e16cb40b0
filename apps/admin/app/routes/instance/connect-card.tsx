import { useEffect, useRef, useState } from 'react';
import { CsrfField } from '../../components/csrf';
import { OnceField } from '../../components/once-field';
import { OnceForm, SubmitButton } from '@silo/web/once-form';
import { LIBSQL_TOKEN_DAYS, type LibsqlAction } from '../../lib/libsql';

interface Props {
  name: string;
  /** Where @libsql/client reaches the instance through `silo serve` (SILO_SERVE_URL). */
  url: string;
  /** Tokens are issued for ready instances only; revoking works in any state. */
  ready: boolean;
  result: LibsqlAction | undefined;
  busyIntent: string | undefined;
  /** This rendering's one-time token for *Create a libSQL token* (lib/submit-once.server.ts). */
  once: string;
}

/** The instance's libSQL URL, and libSQL tokens: create one (shown once) or revoke them all. */
export function ConnectCard({ name, url, ready, result, busyIntent, once }: Props) {
  const tokenRef = useRef<HTMLInputElement>(null);
  const token = result?.token;
  // Keyboard and screen-reader users land on the secret they must copy now.
  useEffect(() => {
    if (token) tokenRef.current?.focus();
  }, [token]);

  return (
    <section className="card stack" aria-labelledby="connect-h" data-testid="connect-card">
      <h2 id="connect-h">Connect with libSQL</h2>
      <p className="muted small">
        Through <code>silo serve</code>, with <code>@libsql/client</code> or any Turso HTTP client. This is not the catalog&apos;s database URL above.
      </p>
      <label htmlFor="libsql-url">libSQL URL</label>
      <div className="row">
        <input id="libsql-url" data-testid="libsql-url" readOnly value={url} size={Math.min(60, url.length + 2)} onFocus={(event) => event.currentTarget.select()} />
        <CopyButton text={url} label="Copy the libSQL URL" />
      </div>

      <div aria-live="polite">
        {result?.error ? (
          <p className="error" role="alert">
            {result.error}
          </p>
        ) : null}
        {result?.ok ? <p className="notice">{result.ok}</p> : null}
      </div>
      {token ? (
          <div className="stack" data-testid="libsql-token-result">
            <label htmlFor="libsql-token">New token: copy it now, it will not be shown again</label>
            <div className="row">
              <input id="libsql-token" ref={tokenRef} data-testid="libsql-token" readOnly value={token} size={40} onFocus={(event) => event.currentTarget.select()} />
              <CopyButton text={token} label="Copy the token" />
            </div>
            <p className="small">Connect with:</p>
            <pre className="small" data-testid="libsql-snippet">
              <code>{`import { createClient } from '@libsql/client';\n\nconst db = createClient({\n  url: '${url}',\n  authToken: '${token}',\n});`}</code>
            </pre>
          </div>
        ) : null}

      {ready ? (
        <OnceForm method="post" className="inline-form" aria-label="Create a libSQL token">
          <CsrfField />
          <OnceField token={once} />
          <input type="hidden" name="intent" value="libsql-create" />
          <label htmlFor="libsql-read-only">
            <input id="libsql-read-only" type="checkbox" name="readOnly" /> Read-only
          </label>
          <label htmlFor="libsql-days">
            Expires
            <select id="libsql-days" name="days" defaultValue="30">
              {LIBSQL_TOKEN_DAYS.map((days) => (
                <option key={days} value={days}>
                  {days === 0 ? 'never' : days === 1 ? 'after 1 day' : `after ${days} days`}
                </option>
              ))}
            </select>
          </label>
          <SubmitButton>{busyIntent === 'libsql-create' ? 'Creating…' : 'Create a libSQL token'}</SubmitButton>
        </OnceForm>
      ) : null}
      <OnceForm
        method="post"
        onSubmit={(event) => {
          if (!window.confirm(`Revoke every libSQL token of ${name}? Clients using them are refused within a second.`)) event.preventDefault();
        }}
      >
        <CsrfField />
        <input type="hidden" name="intent" value="libsql-revoke" />
        <SubmitButton className="danger">{busyIntent === 'libsql-revoke' ? 'Revoking…' : 'Revoke all tokens'}</SubmitButton>
      </OnceForm>
    </section>
  );
}

function CopyButton({ text, label }: { text: string; label: string }) {
  const [copied, setCopied] = useState(false);
  return (
    <>
      <button
        type="button"
        aria-label={label}
        onClick={() => {
          void navigator.clipboard.writeText(text).then(() => setCopied(true));
        }}
      >
        Copy
      </button>
      <span role="status" className="muted small">
        {copied ? 'Copied' : ''}
      </span>
    </>
  );
}
