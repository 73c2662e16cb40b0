/**
 * An add sent again is stored once. Every add names a key of its own (ADD_KEY_FIELD): with
 * JavaScript its fetcher key (hooks.ts), without it a random key the page's form carries
 * (route.tsx's loader, a new one each time the page is rendered). A double click on a page
 * without JavaScript, a replayed `.data` fetch or a retry after a lost answer sends the same
 * key and title again: it waits for the first one and is answered with the todo that one
 * stored, instead of storing a second todo.
 *
 * Keyed by list, session, add key *and* title: an old page brought back (Back button) with
 * its key and a different title typed in is a new add, not a replay. Only an add that was
 * stored counts: one refused (the list full, a full disk) can be sent again.
 *
 * In memory for ten minutes, as the create form's nonce is (create.server.ts): one process
 * serves the app.
 */
import { createHash } from 'node:crypto';

const REMEMBERED_MS = 10 * 60 * 1000;
const MAX_REMEMBERED = 10_000;
/** A key as the page makes them: anything else is not deduplicated. */
const ADD_KEY = /^[\w-]{8,80}$/;

const adds = new Map<string, { at: number; id: Promise<number | null> }>();

/** Runs `work` (which stores the todo and returns its id, or null when it was refused) once per key. */
export async function addOnce(
  list: string,
  sessionId: string,
  key: FormDataEntryValue | null,
  title: string,
  work: () => Promise<number | null>,
): Promise<number | null> {
  if (typeof key !== 'string' || !ADD_KEY.test(key)) return work();
  // A digest, so ten thousand remembered adds of long titles stay small.
  const id = createHash('sha256').update(JSON.stringify([list, sessionId, key, title])).digest('base64url');
  const now = Date.now();
  forgetOld(now);
  const earlier = adds.get(id);
  if (earlier) {
    // Refused or failed the first time: this one is a new try.
    const stored = await earlier.id.catch(() => null);
    if (stored !== null) return stored;
  }
  const attempt = work();
  const entry = { at: now, id: attempt };
  adds.delete(id);
  adds.set(id, entry);
  try {
    return await attempt;
  } finally {
    // A refused add is not remembered (unless a newer try of it took its place meanwhile).
    const stored = await attempt.catch(() => null);
    if (stored === null && adds.get(id) === entry) adds.delete(id);
  }
}

/** Oldest first (insertion order): forget what no replay can still name. */
function forgetOld(now: number): void {
  for (const [id, entry] of adds) {
    if (adds.size <= MAX_REMEMBERED && now - entry.at < REMEMBERED_MS) break;
    adds.delete(id);
  }
}
