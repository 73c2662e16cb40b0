/**
 * What a form on the list page asks for: one union shared by the action (which writes it) and
 * the optimistic reducer (which shows it before the answer). Both switch over `intent` with a
 * `never` check, so a new kind fails type-checking wherever it is not handled yet.
 * Client-safe: no server imports.
 */
export type Intent =
  | { readonly intent: 'add'; readonly title: string }
  | { readonly intent: 'toggle'; readonly id: number; readonly completed: boolean }
  | { readonly intent: 'toggle-all'; readonly completed: boolean }
  | { readonly intent: 'edit'; readonly id: number; readonly title: string }
  | { readonly intent: 'destroy'; readonly id: number }
  | { readonly intent: 'clear-completed' };

export type IntentName = Intent['intent'];

/**
 * A title as the form sent it, trimmed; anything but text is empty. A title is one line of text:
 * control characters (a NUL would end it early for SQLite's `length()`, breaking the length
 * check) become spaces.
 */
export function titleOf(value: FormDataEntryValue | null): string {
  // eslint-disable-next-line no-control-regex -- control characters are what this removes
  return typeof value === 'string' ? value.replace(/[\u0000-\u001f\u007f-\u009f]/g, ' ').trim() : '';
}

/** A todo's id as forms send it (decimal digits), or null: `abc`, `1e3`, `0x10` and `-1` name no todo. */
function idOf(value: FormDataEntryValue | null): number | null {
  const id = typeof value === 'string' && /^[1-9][0-9]{0,15}$/.test(value) ? Number(value) : NaN;
  return Number.isSafeInteger(id) ? id : null;
}

/** `true` or `false`, as the forms send it, or null for anything else (not read as `false`). */
function flagOf(value: FormDataEntryValue | null): boolean | null {
  return value === 'true' ? true : value === 'false' ? false : null;
}

/**
 * The intent of a submitted form, or null for an unknown one or one whose fields are not what
 * the page sends (a todo id that is no id, a `completed` that is neither true nor false): the
 * action answers those 400 rather than guessing (a forged "toggle all" with `completed=yes`
 * un-completed every todo; an edit of todo `abc` was answered "deleted meanwhile").
 */
export function parseIntent(form: FormData): Intent | null {
  const id = idOf(form.get('id'));
  const completed = flagOf(form.get('completed'));
  const title = titleOf(form.get('title'));
  const intent = form.get('intent');
  switch (intent) {
    case 'add':
      return { intent, title };
    case 'toggle':
      return id === null || completed === null ? null : { intent, id, completed };
    case 'toggle-all':
      return completed === null ? null : { intent, completed };
    case 'edit':
      return id === null ? null : { intent, id, title };
    case 'destroy':
      return id === null ? null : { intent, id };
    case 'clear-completed':
      return { intent };
    default:
      return null;
  }
}

/** The form fields of an intent, as `parseIntent` reads them back. */
export function intentFields(intent: Intent): Record<string, string> {
  const fields: Record<string, string> = { intent: intent.intent };
  if ('id' in intent) fields['id'] = String(intent.id);
  if ('completed' in intent) fields['completed'] = String(intent.completed);
  if ('title' in intent) fields['title'] = intent.title;
  return fields;
}

/** The `default` of an exhaustive switch: unreachable while every intent is handled. */
export function unhandledIntent(intent: never): never {
  throw new Error(`Unhandled intent: ${JSON.stringify(intent)}`);
}
