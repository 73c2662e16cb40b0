import { useEffect, useRef, useState } from 'react';
import { DOWNLOAD_COOKIE, DOWNLOAD_FIELD } from '../lib/download';
import { CsrfField } from './csrf';

/** How long a download may take to start before the button is offered again anyway. */
const GIVE_UP_MS = 10 * 60_000;

interface Props {
  action: string;
  label: string;
  /** Shown on the button from the click until the download starts. */
  busyLabel: string;
  disabled?: boolean;
  /** More hidden fields (the bulk export's selection). */
  fields?: readonly (readonly [string, string])[];
}

/**
 * A plain form whose answer is a file (an export): the browser streams it to disk and shows
 * its progress, which a fetch could not do for a large file without holding it in memory.
 * Until the download starts (an export first takes a consistent snapshot: seconds for a large
 * instance) the button says so and another click sends nothing, so a double click does not
 * start and audit two exports. How the start is seen: download.ts.
 */
export function DownloadForm({ action, label, busyLabel, disabled = false, fields = [] }: Props) {
  const token = useRef<HTMLInputElement>(null);
  /** The timer watching for the download's cookie, while there is one. */
  const waiting = useRef<number | null>(null);
  const [busy, setBusy] = useState(false);
  const done = () => {
    if (waiting.current !== null) window.clearInterval(waiting.current);
    waiting.current = null;
    setBusy(false);
  };
  useEffect(() => done, []);
  return (
    <form
      method="post"
      action={action}
      onSubmit={(event) => {
        if (waiting.current !== null || !token.current) {
          event.preventDefault();
          return;
        }
        const value = randomToken();
        // Set on the element, not through state: the form's data is read right after this handler.
        token.current.value = value;
        const since = Date.now();
        waiting.current = window.setInterval(() => {
          if (document.cookie.split('; ').includes(`${DOWNLOAD_COOKIE}=${value}`)) {
            document.cookie = `${DOWNLOAD_COOKIE}=; Path=/; Max-Age=0; SameSite=Strict`;
            done();
          } else if (Date.now() - since > GIVE_UP_MS) done();
        }, 250);
        setBusy(true);
      }}
    >
      <CsrfField />
      {fields.map(([name, value], index) => (
        <input key={`${name}:${index}`} type="hidden" name={name} value={value} />
      ))}
      {/* No value prop: React would write it back on the re-render that the click's state causes. */}
      <input ref={token} type="hidden" name={DOWNLOAD_FIELD} />
      {/* aria-disabled, not disabled, while waiting: the button keeps the keyboard focus. */}
      <button type="submit" disabled={disabled} aria-disabled={busy || undefined}>
        {busy ? busyLabel : label}
      </button>
    </form>
  );
}

/** 128 random bits in hex; crypto.randomUUID exists only in secure contexts (not plain http on a LAN address). */
function randomToken(): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), (byte) => byte.toString(16).padStart(2, '0')).join('');
}
