/**
 * Adds this tab sent and has seen no answer to, in sessionStorage. When the session ended
 * under an add, its answer is a trip to the sign-in page and the title typed would be lost:
 * the sign-in page marks the list (`markSessionEnded`), and back on it, signed in again, the
 * new-todo field offers the title again. Any other arrival on the list only forgets them: an
 * add whose answer came while another page was shown was stored. Storage can be off or full:
 * then nothing is kept, as before.
 */
const STORAGE_KEY = 'silo-todos-unsent-adds';
const ENDED_KEY = 'silo-todos-session-ended';

interface UnsentAdd {
  readonly list: string;
  readonly key: string;
  readonly title: string;
}

function read(): UnsentAdd[] {
  try {
    const parsed: unknown = JSON.parse(sessionStorage.getItem(STORAGE_KEY) ?? '[]');
    return Array.isArray(parsed) ? parsed.filter(isUnsentAdd) : [];
  } catch {
    return [];
  }
}

function isUnsentAdd(value: unknown): value is UnsentAdd {
  if (typeof value !== 'object' || value === null) return false;
  const { list, key, title } = value as Record<string, unknown>;
  return typeof list === 'string' && typeof key === 'string' && typeof title === 'string' && title !== '';
}

function write(adds: readonly UnsentAdd[]): void {
  try {
    if (adds.length === 0) sessionStorage.removeItem(STORAGE_KEY);
    else sessionStorage.setItem(STORAGE_KEY, JSON.stringify(adds));
  } catch {
    // Storage off or full: the title is not kept, as before.
  }
}

export function rememberUnsent(list: string, key: string, title: string): void {
  write([...read(), { list, key, title }]);
}

export function forgetUnsent(list: string, key: string): void {
  write(read().filter((add) => add.list !== list || add.key !== key));
}

/** The sign-in page was shown because the session on `list` ended (its `?ended`). */
export function markSessionEnded(list: string): void {
  try {
    sessionStorage.setItem(ENDED_KEY, list);
  } catch {
    // Storage off: nothing was kept to offer again either.
  }
}

/**
 * The titles of the list's adds that were never answered, oldest first, when its session ended
 * under them; none otherwise. Either way they are forgotten.
 */
export function takeUnsent(list: string): string[] {
  const adds = read();
  write(adds.filter((add) => add.list !== list));
  let ended = false;
  try {
    ended = sessionStorage.getItem(ENDED_KEY) === list;
    if (ended) sessionStorage.removeItem(ENDED_KEY);
  } catch {
    // Storage off: nothing to offer.
  }
  return ended ? adds.filter((add) => add.list === list).map((add) => add.title) : [];
}
