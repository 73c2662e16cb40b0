/**
 * A page sends its adds at once, each on a fetcher of its own, so the todos show as they are
 * typed. Sent together, they can reach the database in any order (each awaits its session check
 * and turn first), and a list is ordered by when a todo was stored: "buy cheese, feed the cat,
 * book a doctor" could come back with the last two swapped. So each add names the add sent just
 * before it that has no answer yet (`after`), and waits here until that one is stored.
 *
 * Only within this process, and never for long: should the earlier add have gone to another
 * server, or never arrive, the later one goes ahead after ORDER_WAIT_MS, as it did before.
 */
const ORDER_WAIT_MS = 1_500;
/** How long a finished add is remembered for a later one naming it. */
const REMEMBERED_MS = 60_000;
const MAX_REMEMBERED = 10_000;
/** A fetcher key as the page makes them (hooks.ts): anything else is ignored. */
const ADD_KEY = /^[\w-]{1,80}$/;

const finished = new Map<string, number>();
const waiting = new Map<string, (() => void)[]>();

/** Runs the add `work` once the add it was sent after (if any, and still unfinished here) is done. */
export async function inSubmissionOrder<T>(list: string, key: FormDataEntryValue | null, after: FormDataEntryValue | null, work: () => Promise<T>): Promise<T> {
  const own = validKey(key);
  const before = validKey(after);
  if (before !== null && !finished.has(`${list}/${before}`)) await finishOf(`${list}/${before}`);
  try {
    return await work();
  } finally {
    if (own !== null) finish(`${list}/${own}`);
  }
}

function validKey(value: FormDataEntryValue | null): string | null {
  return typeof value === 'string' && ADD_KEY.test(value) ? value : null;
}

function finishOf(id: string): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ORDER_WAIT_MS);
    function done(): void {
      clearTimeout(timer);
      const others = (waiting.get(id) ?? []).filter((waiter) => waiter !== done);
      if (others.length > 0) waiting.set(id, others);
      else waiting.delete(id);
      resolve();
    }
    waiting.set(id, [...(waiting.get(id) ?? []), done]);
  });
}

function finish(id: string): void {
  const now = Date.now();
  finished.set(id, now);
  for (const waiter of waiting.get(id) ?? []) waiter();
  // Oldest first (insertion order): forget what no add can still name.
  for (const [old, at] of finished) {
    if (finished.size <= MAX_REMEMBERED && now - at < REMEMBERED_MS) break;
    finished.delete(old);
  }
}
