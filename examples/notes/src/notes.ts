import type { Row, TenantConnection } from '@silo/fleet';

/** The schema version that added `notes.pinned` (migrations/0002_pinned.sql). */
const PINNED_SINCE = 2;

export interface Note {
  readonly id: number;
  readonly title: string;
  readonly body: string;
  readonly createdAt: number;
  /** Absent while the workspace is at a version without pinning. */
  readonly pinned?: boolean;
}

export interface NewNote {
  readonly title: string;
  readonly body: string;
  readonly pinned: boolean;
}

/**
 * Whether a workspace's database has the `pinned` column. The app asks per workspace rather than
 * per release: `silo migrate` moves workspaces one at a time, and each one gains pinning as soon
 * as its own database has the column, without a restart.
 */
export function canPin(schemaVersion: number): boolean {
  return schemaVersion >= PINNED_SINCE;
}

export async function listNotes(db: TenantConnection, schemaVersion: number): Promise<Note[]> {
  const pinning = canPin(schemaVersion);
  const { rows } = await db.execute(
    pinning
      ? 'SELECT id, title, body, created_at, pinned FROM notes ORDER BY pinned DESC, id DESC'
      : 'SELECT id, title, body, created_at FROM notes ORDER BY id DESC',
  );
  return rows.map((row) => toNote(row, pinning));
}

export async function addNote(db: TenantConnection, schemaVersion: number, note: NewNote): Promise<Note> {
  const createdAt = Date.now();
  const pinning = canPin(schemaVersion);
  const { rows } = pinning
    ? await db.execute('INSERT INTO notes (title, body, created_at, pinned) VALUES (?, ?, ?, ?) RETURNING id', [note.title, note.body, createdAt, note.pinned ? 1 : 0])
    : await db.execute('INSERT INTO notes (title, body, created_at) VALUES (?, ?, ?) RETURNING id', [note.title, note.body, createdAt]);
  const id = Number(rows[0]?.['id']);
  return { id, title: note.title, body: note.body, createdAt, ...(pinning ? { pinned: note.pinned } : {}) };
}

/** Pins or unpins a note; false when the workspace has no such note. */
export async function setPinned(db: TenantConnection, id: number, pinned: boolean): Promise<boolean> {
  const { rowsAffected } = await db.execute('UPDATE notes SET pinned = ? WHERE id = ?', [pinned ? 1 : 0, id]);
  return rowsAffected > 0;
}

function toNote(row: Row, pinning: boolean): Note {
  return {
    id: Number(row['id']),
    title: String(row['title']),
    body: String(row['body']),
    createdAt: Number(row['created_at']),
    ...(pinning ? { pinned: row['pinned'] === 1 || row['pinned'] === 1n } : {}),
  };
}
