import { html } from 'hono/html';
import type { Note } from './notes.ts';

/** One workspace's page: its notes and a form to add one. `html` escapes every value. */
export function notesPage(workspace: string, notes: readonly Note[], pinning: boolean) {
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>Notes · ${workspace}</title>
        <style>
          body { font: 16px/1.5 system-ui, sans-serif; max-width: 40rem; margin: 2rem auto; padding: 0 1rem; }
          li { margin: 0.75rem 0; } .pinned { font-weight: 600; } p.body { margin: 0; white-space: pre-wrap; }
          input[type='text'], textarea { width: 100%; box-sizing: border-box; }
        </style>
      </head>
      <body>
        <h1>Notes of ${workspace}</h1>
        <form method="post" action="/t/${workspace}/notes">
          <p><input type="text" name="title" placeholder="Title" required maxlength="200" /></p>
          <p><textarea name="body" rows="3" placeholder="Note"></textarea></p>
          ${pinning ? html`<p><label><input type="checkbox" name="pinned" /> Pin it</label></p>` : ''}
          <p><button type="submit">Add note</button></p>
        </form>
        ${notes.length === 0
          ? html`<p>No notes yet.</p>`
          : html`<ul>
              ${notes.map(
                (note) => html`<li class="${note.pinned ? 'pinned' : ''}" data-note="${note.id}">
                  ${note.pinned ? '📌 ' : ''}${note.title}
                  <p class="body">${note.body}</p>
                </li>`,
              )}
            </ul>`}
      </body>
    </html>`;
}
