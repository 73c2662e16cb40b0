import type { NewNote } from './notes.ts';

/** A request the app refuses with 400 and this message. */
export class InputError extends Error {}

const MAX_TITLE = 200;
const MAX_BODY = 20_000;

/** A new note from a JSON body or a form: `title` (required), `body`, `pinned`. */
export function parseNewNote(input: unknown): NewNote {
  if (typeof input !== 'object' || input === null) throw new InputError('Send a JSON object: { "title": "…", "body": "…" }.');
  const fields = input as Record<string, unknown>;
  const title = text(fields['title'], 'title', MAX_TITLE).trim();
  if (title === '') throw new InputError('title: give the note a title.');
  return { title, body: text(fields['body'] ?? '', 'body', MAX_BODY), pinned: flag(fields['pinned'] ?? false, 'pinned') };
}

/** `{ "pinned": true | false }`. */
export function parsePinned(input: unknown): boolean {
  if (typeof input !== 'object' || input === null || !('pinned' in input)) throw new InputError('Send { "pinned": true } or { "pinned": false }.');
  return flag(input.pinned, 'pinned');
}

export function parseId(value: string): number {
  const id = Number(value);
  if (!Number.isSafeInteger(id) || id < 1) throw new InputError(`"${value}" is not a note id.`);
  return id;
}

function text(value: unknown, key: string, max: number): string {
  if (typeof value !== 'string') throw new InputError(`${key}: expected text.`);
  if (value.length > max) throw new InputError(`${key}: at most ${max} characters.`);
  return value;
}

/** JSON sends booleans; an HTML checkbox sends "on" when ticked and nothing otherwise. */
function flag(value: unknown, key: string): boolean {
  if (typeof value === 'boolean') return value;
  if (value === 'on') return true;
  throw new InputError(`${key}: expected true or false.`);
}
