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
import { AnswerOnce } from '@silo/web';

/** A key as the page makes them: anything else is not deduplicated. */
const ADD_KEY = /^[\w-]{8,80}$/;

const adds = new AnswerOnce({ ttlMs: 10 * 60 * 1000, maxEntries: 10_000 });

/** Runs `work` (which stores the todo and returns its id, or null when it was refused) once per key. */
export async function addOnce(
  list: string,
  sessionId: string,
  key: FormDataEntryValue | null,
  title: string,
  work: () => Promise<number | null>,
): Promise<number | null> {
  if (typeof key !== 'string' || !ADD_KEY.test(key)) return work();
  return adds.run([list, sessionId, key, title], work, (id) => id !== null);
}
