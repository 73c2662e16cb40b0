import { Hono, type Context } from 'hono';
import { csrf } from 'hono/csrf';
import { HTTPException } from 'hono/http-exception';
import { isSiloError, type Fleet, type TenantConnection } from '@silo/fleet';
import { InputError, parseId, parseNewNote, parsePinned } from './input.ts';
import { readMetrics } from './metrics.ts';
import { addNote, canPin, listNotes, setPinned } from './notes.ts';
import { notesPage } from './page.ts';

/**
 * The notes app: `/t/<workspace>` is a page, `/t/<workspace>/notes` a JSON API. Every request
 * runs on its workspace's own database through `fleet.withInstance`, so no query here needs a
 * tenant id and none can reach another workspace's notes.
 */
export function notesApp(fleet: Fleet): Hono {
  const app = new Hono();
  // The page's form posts from this origin; a form posted from another site is refused.
  app.use(csrf());

  /** A write, then the workspace's metrics reported for the admin (batched into the catalog). */
  async function write<T>(name: string, work: (db: TenantConnection, schemaVersion: number) => Promise<T>): Promise<T> {
    const { result, metrics } = await fleet.withInstance(name, async (db, instance) => ({
      result: await work(db, instance.schemaVersion),
      metrics: await readMetrics(db, fleet.schema.metricsSql),
    }));
    fleet.touch(name, metrics);
    return result;
  }

  app.get('/t/:name', async (c) => {
    const name = c.req.param('name');
    const { notes, pinning } = await fleet.withInstance(name, async (db, instance) => ({
      notes: await listNotes(db, instance.schemaVersion),
      pinning: canPin(instance.schemaVersion),
    }));
    return c.html(notesPage(name, notes, pinning));
  });

  app.get('/t/:name/notes', async (c) => {
    const name = c.req.param('name');
    const { notes, schemaVersion } = await fleet.withInstance(name, async (db, instance) => ({
      notes: await listNotes(db, instance.schemaVersion),
      schemaVersion: instance.schemaVersion,
    }));
    return c.json({ workspace: name, schemaVersion, notes });
  });

  app.post('/t/:name/notes', async (c) => {
    const name = c.req.param('name');
    const fromForm = !isJson(c);
    const input = parseNewNote(fromForm ? await c.req.parseBody() : await jsonBody(c));
    const note = await write(name, async (db, schemaVersion) => {
      if (input.pinned && !canPin(schemaVersion)) throw new NotYet(name);
      return addNote(db, schemaVersion, input);
    });
    // The page's form comes back to the page; the API answers with the note.
    return fromForm ? c.redirect(`/t/${name}`, 303) : c.json(note, 201);
  });

  app.patch('/t/:name/notes/:id', async (c) => {
    const name = c.req.param('name');
    const id = parseId(c.req.param('id'));
    const pinned = parsePinned(await jsonBody(c));
    const found = await write(name, async (db, schemaVersion) => {
      if (!canPin(schemaVersion)) throw new NotYet(name);
      return setPinned(db, id, pinned);
    });
    return found ? c.json({ id, pinned }) : c.json({ error: `No note ${id} in "${name}".` }, 404);
  });

  app.onError((error, c) => {
    // Hono's own refusals (the CSRF check's 403) carry their response.
    if (error instanceof HTTPException) return error.getResponse();
    if (error instanceof InputError) return c.json({ error: error.message }, 400);
    if (error instanceof NotYet) return c.json({ error: error.message }, 409);
    // An unknown or deleted workspace is a 404, never another workspace's notes.
    if (isSiloError(error, 'INSTANCE_NOT_FOUND')) return c.json({ error: 'No such workspace.' }, 404);
    // Being created, moved, or behind the schema this code expects: a moment (or `silo migrate`) fixes it.
    if (isSiloError(error, 'INSTANCE_NOT_READY') || isSiloError(error, 'SCHEMA_BEHIND')) return c.json({ error: error.message }, 503);
    console.error(error);
    return c.json({ error: 'Something went wrong; the server log says what.' }, 500);
  });
  return app;
}

/** Pinning asked of a workspace whose database has no `pinned` column yet. */
class NotYet extends Error {
  constructor(name: string) {
    super(`Workspace "${name}" cannot pin notes until \`silo migrate\` brings it to schema version 2.`);
  }
}

function isJson(c: Context): boolean {
  return (c.req.header('content-type') ?? '').startsWith('application/json');
}

async function jsonBody(c: Context): Promise<unknown> {
  try {
    return await c.req.json();
  } catch {
    throw new InputError('The body is not JSON.');
  }
}
