import { defineTenantSchema } from '@silo/fleet/schema';

/**
 * An instance's todo counts, as the admin shows them: the TODO app reports them after each
 * write, the fleet after an import or restore brings in data from elsewhere.
 */
export const TODO_METRICS_SQL = 'SELECT count(*) AS todos, coalesce(sum(completed), 0) AS completed FROM todos';

/**
 * What a customer's own download of their database must not contain, run on the staged copy
 * (the fleet then rebuilds the file with VACUUM INTO, so the removed bytes are gone): password
 * hashes, session ids and invite tokens are credentials, not the customer's data. Todos and
 * member emails and roles stay. A migration that adds a secret adds its redaction here.
 */
export const CUSTOMER_EXPORT_REDACTIONS: readonly string[] = [
  'DELETE FROM sessions',
  'DELETE FROM invites',
  "UPDATE users SET password_hash = ''",
];

/**
 * The TODO app's tenant schema. Each instance's database holds its todos and, so the catalog
 * never holds tenant data, its own users, sessions and invites.
 *
 * Migrations are append-only: instances migrate at different times, so a change is made in
 * two steps ("widen, then narrow") and a shipped migration is never edited.
 */
export const todoSchema = defineTenantSchema({
  id: 'todos',
  migrations: [
    {
      version: 1,
      name: 'todos, users, sessions, invites',
      sql: `
        CREATE TABLE todos (
          id          INTEGER PRIMARY KEY,
          title       TEXT NOT NULL CHECK (length(title) BETWEEN 1 AND 1000),
          completed   INTEGER NOT NULL DEFAULT 0 CHECK (completed IN (0, 1)),
          created_at  INTEGER NOT NULL,
          updated_at  INTEGER NOT NULL
        ) STRICT;
        CREATE INDEX todos_completed ON todos (completed);

        CREATE TABLE users (
          id             INTEGER PRIMARY KEY,
          email          TEXT NOT NULL UNIQUE COLLATE NOCASE,
          password_hash  TEXT NOT NULL,
          role           TEXT NOT NULL CHECK (role IN ('owner', 'member')),
          created_at     INTEGER NOT NULL
        ) STRICT;

        CREATE TABLE sessions (
          id          TEXT PRIMARY KEY,
          user_id     INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
          created_at  INTEGER NOT NULL,
          expires_at  INTEGER NOT NULL
        ) STRICT;
        CREATE INDEX sessions_user ON sessions (user_id);

        CREATE TABLE invites (
          token_hash   TEXT PRIMARY KEY,
          created_by   INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
          created_at   INTEGER NOT NULL,
          expires_at   INTEGER NOT NULL,
          accepted_at  INTEGER
        ) STRICT;
      `,
    },
  ],
  metricsSql: TODO_METRICS_SQL,
  // Sessions in an uploaded file were signed in elsewhere: none is valid here, and without a
  // bound on their number each sign-in's clean-up would scan them all. Members sign in again.
  uploadCleanup: ['DELETE FROM sessions'],
});
