import type { Migration } from '../schema';

/**
 * The catalog's own schema. It holds metadata about instances only: tenant data, users and
 * sessions live in each instance's database.
 */
export const CATALOG_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'instances and audit log',
    sql: `
      CREATE TABLE instances (
        id              TEXT PRIMARY KEY,
        name            TEXT NOT NULL UNIQUE,
        display_name    TEXT NOT NULL,
        state           TEXT NOT NULL CHECK (state IN ('provisioning', 'ready', 'failed', 'deleted')),
        jurisdiction    TEXT NOT NULL,
        region          TEXT NOT NULL,
        engine          TEXT NOT NULL,
        db_url          TEXT NOT NULL,
        schema_version  INTEGER NOT NULL DEFAULT 0,
        size_bytes      INTEGER NOT NULL DEFAULT 0,
        cloned_from     TEXT,
        created_at      INTEGER NOT NULL,
        updated_at      INTEGER NOT NULL,
        last_active_at  INTEGER,
        deleted_at      INTEGER,
        error           TEXT,
        -- The process running a create or purge on this row (host/boot/pid.start): a lease.
        -- An owner that is gone means a crash interrupted the operation.
        op_owner        TEXT
      ) STRICT;
      CREATE INDEX instances_state_name ON instances (state, name);
      CREATE INDEX instances_placement ON instances (jurisdiction, region, name);
      CREATE INDEX instances_created ON instances (created_at);
      CREATE INDEX instances_last_active ON instances (last_active_at);
      CREATE INDEX instances_schema ON instances (schema_version);
      CREATE INDEX instances_cloned_from ON instances (cloned_from) WHERE cloned_from IS NOT NULL;
      CREATE INDEX instances_leased ON instances (op_owner) WHERE op_owner IS NOT NULL;

      CREATE TABLE instance_metrics (
        instance_id TEXT NOT NULL REFERENCES instances (id) ON DELETE CASCADE,
        key         TEXT NOT NULL,
        value       REAL NOT NULL,
        updated_at  INTEGER NOT NULL,
        PRIMARY KEY (instance_id, key)
      ) STRICT, WITHOUT ROWID;
      CREATE INDEX instance_metrics_by_value ON instance_metrics (key, value);

      CREATE TABLE audit_log (
        id         INTEGER PRIMARY KEY,
        at         INTEGER NOT NULL,
        actor      TEXT NOT NULL,
        operation  TEXT NOT NULL,
        instance   TEXT,
        outcome    TEXT NOT NULL CHECK (outcome IN ('ok', 'error')),
        error      TEXT,
        detail     TEXT
      ) STRICT;
      CREATE INDEX audit_log_at ON audit_log (at);
      CREATE INDEX audit_log_instance ON audit_log (instance, at);
    `,
  },
  {
    version: 2,
    name: 'admin users, sessions and console history',
    sql: `
      CREATE TABLE admin_users (
        id               INTEGER PRIMARY KEY,
        email            TEXT NOT NULL UNIQUE COLLATE NOCASE,
        password_hash    TEXT NOT NULL,
        created_at       INTEGER NOT NULL,
        last_sign_in_at  INTEGER
      ) STRICT;

      -- Session ids are stored hashed: the catalog never holds a usable session token.
      CREATE TABLE admin_sessions (
        id_hash     TEXT PRIMARY KEY,
        user_id     INTEGER NOT NULL REFERENCES admin_users (id) ON DELETE CASCADE,
        created_at  INTEGER NOT NULL,
        expires_at  INTEGER NOT NULL
      ) STRICT;
      CREATE INDEX admin_sessions_user ON admin_sessions (user_id);

      CREATE TABLE query_history (
        id           INTEGER PRIMARY KEY,
        instance     TEXT NOT NULL,
        actor        TEXT NOT NULL,
        sql          TEXT NOT NULL,
        mode         TEXT NOT NULL CHECK (mode IN ('read', 'write')),
        ok           INTEGER NOT NULL,
        duration_ms  REAL NOT NULL,
        row_count    INTEGER NOT NULL,
        at           INTEGER NOT NULL
      ) STRICT;
      CREATE INDEX query_history_instance ON query_history (instance, at);
    `,
  },
  {
    version: 3,
    name: 'covering index for the instances list',
    sql: `
      -- The list page filters by state, jurisdiction and region and sorts by one of these
      -- columns: with all of them in one index, paging 100,000 instances reads no table rows.
      CREATE INDEX instances_listing ON instances
        (state, jurisdiction, region, name, last_active_at, created_at, updated_at, size_bytes, schema_version, id);
      -- No ANALYZE here: Turso refuses it (sqld has no kind for it). A local catalog is
      -- analysed after its migrations (Catalog), as this migration used to.
    `,
  },
  {
    version: 4,
    name: 'backup summaries, verifications and leases',
    sql: `
      -- A summary per instance; the backup points themselves are listed from the backup
      -- location, whose manifests survive the loss of this catalog.
      CREATE TABLE backup_state (
        instance_id       TEXT PRIMARY KEY REFERENCES instances (id) ON DELETE CASCADE,
        -- Size and mtime of the files when the last point was taken: a changed token means changed data.
        change_token      TEXT,
        last_point_id     TEXT,
        last_backup_at    INTEGER,
        last_attempt_at   INTEGER,
        last_error        TEXT,
        failures          INTEGER NOT NULL DEFAULT 0,
        last_verified_at  INTEGER,
        last_verify_ok    INTEGER
      ) STRICT, WITHOUT ROWID;

      CREATE TABLE backup_verifications (
        id           INTEGER PRIMARY KEY,
        run_id       TEXT NOT NULL,
        at           INTEGER NOT NULL,
        instance     TEXT NOT NULL,
        point_id     TEXT,
        ok           INTEGER NOT NULL,
        problems     TEXT,
        duration_ms  REAL NOT NULL
      ) STRICT;
      CREATE INDEX backup_verifications_at ON backup_verifications (at);
      CREATE INDEX backup_verifications_instance ON backup_verifications (instance, at);

      -- Fleet-wide jobs owned by one process at a time (the backup scheduler).
      CREATE TABLE leases (
        name         TEXT PRIMARY KEY,
        owner        TEXT NOT NULL,
        acquired_at  INTEGER NOT NULL,
        expires_at   INTEGER NOT NULL,
        detail       TEXT
      ) STRICT;
    `,
  },
  {
    version: 5,
    name: 'the moving state',
    // SQLite cannot alter a CHECK constraint, so the table is rebuilt. Dropping it cascades to
    // instance_metrics and backup_state (foreign keys are on inside this transaction), so
    // their rows are kept aside, in plain tables dropped at the end of the same transaction:
    // Turso refuses TEMP tables (bound to one connection), and ANALYZE (see version 3).
    sql: `
      CREATE TABLE _v5_metrics_kept AS SELECT * FROM instance_metrics;
      CREATE TABLE _v5_backup_state_kept AS SELECT * FROM backup_state;
      CREATE TABLE instances_v5 (
        id              TEXT PRIMARY KEY,
        name            TEXT NOT NULL UNIQUE,
        display_name    TEXT NOT NULL,
        state           TEXT NOT NULL CHECK (state IN ('provisioning', 'ready', 'failed', 'deleted', 'moving')),
        jurisdiction    TEXT NOT NULL,
        region          TEXT NOT NULL,
        engine          TEXT NOT NULL,
        db_url          TEXT NOT NULL,
        schema_version  INTEGER NOT NULL DEFAULT 0,
        size_bytes      INTEGER NOT NULL DEFAULT 0,
        cloned_from     TEXT,
        created_at      INTEGER NOT NULL,
        updated_at      INTEGER NOT NULL,
        last_active_at  INTEGER,
        deleted_at      INTEGER,
        error           TEXT,
        op_owner        TEXT
      ) STRICT;
      INSERT INTO instances_v5 SELECT id, name, display_name, state, jurisdiction, region, engine, db_url, schema_version,
        size_bytes, cloned_from, created_at, updated_at, last_active_at, deleted_at, error, op_owner FROM instances;
      DROP TABLE instances;
      ALTER TABLE instances_v5 RENAME TO instances;
      CREATE INDEX instances_state_name ON instances (state, name);
      CREATE INDEX instances_placement ON instances (jurisdiction, region, name);
      CREATE INDEX instances_created ON instances (created_at);
      CREATE INDEX instances_last_active ON instances (last_active_at);
      CREATE INDEX instances_schema ON instances (schema_version);
      CREATE INDEX instances_cloned_from ON instances (cloned_from) WHERE cloned_from IS NOT NULL;
      CREATE INDEX instances_leased ON instances (op_owner) WHERE op_owner IS NOT NULL;
      CREATE INDEX instances_listing ON instances
        (state, jurisdiction, region, name, last_active_at, created_at, updated_at, size_bytes, schema_version, id);
      INSERT INTO instance_metrics SELECT * FROM _v5_metrics_kept;
      DROP TABLE _v5_metrics_kept;
      INSERT INTO backup_state SELECT * FROM _v5_backup_state_kept;
      DROP TABLE _v5_backup_state_kept;
    `,
  },
  {
    version: 6,
    name: 'where each backup was written',
    sql: `
      -- The location an instance's last point went to: when its region's location changes, the
      -- instance needs a point in the new one, whether or not its files changed.
      ALTER TABLE backup_state ADD COLUMN location TEXT;

      -- Every location a point was ever written to (a folder path or s3://bucket/prefix, never a
      -- credential): one that is no longer configured still holds backups that retention and
      -- purge no longer reach, and the backups overview says so.
      CREATE TABLE backup_locations (
        location       TEXT PRIMARY KEY,
        first_used_at  INTEGER NOT NULL,
        last_used_at   INTEGER NOT NULL
      ) STRICT;
    `,
  },
  {
    version: 7,
    name: 'disabled admins and the failed sign-in cap',
    sql: `
      -- A disabled admin keeps its row (and its name in the audit log) but cannot sign in, and
      -- its sessions count as absent.
      ALTER TABLE admin_users ADD COLUMN disabled_at INTEGER;

      -- Failed sign-ins are kept up to a cap (oldest go first): finding the cap-th newest walks
      -- this small index instead of the whole log.
      CREATE INDEX audit_log_failed_signins ON audit_log (id) WHERE operation = 'admin sign-in' AND outcome = 'error';
    `,
  },
  {
    version: 8,
    name: 'purge intents and every location an instance was backed up to',
    sql: `
      -- A purge is an intent recorded before anything is erased: the instance, where its
      -- database is, and every backup location that must carry its purge marker. The instance's
      -- row stays (its name taken) until the markers are written and its database is removed;
      -- then the row and the intent go in one transaction. Reconciliation finishes an intent
      -- whose process died, and a deleted instance with an intent cannot be restored.
      CREATE TABLE purge_intents (
        instance_id   TEXT PRIMARY KEY,
        name          TEXT NOT NULL,
        jurisdiction  TEXT NOT NULL,
        region        TEXT NOT NULL,
        db_url        TEXT NOT NULL,
        -- JSON array of backup locations (folder path or s3://bucket/prefix, never a credential).
        locations     TEXT NOT NULL,
        actor         TEXT NOT NULL,
        requested_at  INTEGER NOT NULL
      ) STRICT;

      -- Every location a point of an instance was written to (backup_state.location is only
      -- the last one): a purge marks all of them. Kept until the instance's purge finishes.
      CREATE TABLE backup_instance_locations (
        instance_id  TEXT NOT NULL,
        location     TEXT NOT NULL,
        PRIMARY KEY (instance_id, location)
      ) STRICT, WITHOUT ROWID;
      INSERT OR IGNORE INTO backup_instance_locations (instance_id, location)
        SELECT instance_id, location FROM backup_state WHERE location IS NOT NULL;
    `,
  },
  {
    version: 9,
    name: 'undelete is no longer called restore in the audit log',
    sql: `
      -- Bringing a deleted instance back was audited as 'restore', the word backups use for going
      -- back to a point (theirs is 'backup-restore'). It is 'undelete' now; older entries are
      -- renamed so filters and the admin's audit page find them under the one name.
      UPDATE audit_log SET operation = 'undelete' WHERE operation = 'restore';
    `,
  },
  {
    version: 10,
    name: 'API tokens and idempotency keys',
    sql: `
      -- Tokens of the fleet's HTTP API (silo serve). Only a SHA-256 of the token is kept: the
      -- token is 256 random bits, so a fast hash is enough, and the catalog never holds a usable
      -- one. A revoked token keeps its row, so the audit log's token:<id> still names it.
      CREATE TABLE api_tokens (
        id            TEXT PRIMARY KEY,
        token_hash    TEXT NOT NULL,
        label         TEXT NOT NULL,
        scope         TEXT NOT NULL CHECK (scope IN ('read', 'write', 'admin')),
        -- NULL: every jurisdiction.
        jurisdiction  TEXT,
        created_by    TEXT NOT NULL,
        created_at    INTEGER NOT NULL,
        expires_at    INTEGER,
        last_used_at  INTEGER,
        revoked_at    INTEGER
      ) STRICT;

      -- A create or clone retried with the same Idempotency-Key returns the first answer. The
      -- request's hash tells a retry from a different request reusing the key; a NULL status
      -- is a request still running.
      CREATE TABLE api_idempotency (
        token_id      TEXT NOT NULL,
        key           TEXT NOT NULL,
        request_hash  TEXT NOT NULL,
        status        INTEGER,
        response      TEXT,
        created_at    INTEGER NOT NULL,
        PRIMARY KEY (token_id, key)
      ) STRICT, WITHOUT ROWID;
      CREATE INDEX api_idempotency_created ON api_idempotency (created_at);
    `,
  },
  {
    version: 11,
    name: 'libSQL token generations',
    sql: `
      -- The token generation of each instance: a libSQL token signed under an older one is
      -- refused. In the catalog, not in a server's data folder, so a revocation reaches every
      -- server. Keyed by the catalog id: a purged instance's row outlives it harmlessly.
      CREATE TABLE instance_token_generations (
        instance_id  TEXT PRIMARY KEY,
        generation   INTEGER NOT NULL,
        updated_at   INTEGER NOT NULL
      ) STRICT;
    `,
  },
  {
    version: 12,
    name: 'daily activity and usage per instance; saved queries',
    sql: `
      -- One row per instance per UTC day it was used: daily and weekly active tenants (instances
      -- with active = 1 that day) and usage over time (reads and writes the fleet counted, the
      -- size at the day's last flush). Rows older than 90 days are pruned (instance-activity.ts).
      -- active = 0 is usage that is not the tenant's activity, such as a fleet-wide migration.
      CREATE TABLE instance_daily (
        instance_id  TEXT NOT NULL,
        -- UTC days since 1970-01-01.
        day          INTEGER NOT NULL,
        active       INTEGER NOT NULL DEFAULT 0,
        reads        INTEGER NOT NULL DEFAULT 0,
        writes       INTEGER NOT NULL DEFAULT 0,
        size_bytes   INTEGER,
        PRIMARY KEY (instance_id, day)
      ) STRICT, WITHOUT ROWID;
      CREATE INDEX instance_daily_active ON instance_daily (day, instance_id) WHERE active = 1;
      -- The one day each instance is known to have been active before this table existed.
      INSERT INTO instance_daily (instance_id, day, active, size_bytes)
        SELECT id, last_active_at / 86400000, 1, size_bytes FROM instances WHERE last_active_at IS NOT NULL;

      -- Each admin's saved console and fleet queries, by name; they go with the account.
      CREATE TABLE admin_saved_queries (
        id          INTEGER PRIMARY KEY,
        user_id     INTEGER NOT NULL REFERENCES admin_users (id) ON DELETE CASCADE,
        name        TEXT NOT NULL,
        sql         TEXT NOT NULL,
        updated_at  INTEGER NOT NULL,
        UNIQUE (user_id, name)
      ) STRICT;
    `,
  },
  {
    version: 13,
    name: 'the process running each idempotent request',
    sql: `
      -- Who runs a request whose status is still NULL (processes.ts's owner): once that process
      -- is gone (it crashed mid-request), a retry with the same key takes the key over rather
      -- than being told for a day that the request is still running.
      ALTER TABLE api_idempotency ADD COLUMN owner TEXT;
    `,
  },
  {
    version: 14,
    name: 'a second change token per backed-up instance',
    sql: `
      -- The main file's token when the last point's copy held everything (no WAL left to fold
      -- in): closing the instance's last connection folds and removes its WAL, which changes
      -- change_token without changing the data, and must not cause another point.
      ALTER TABLE backup_state ADD COLUMN settled_token TEXT;
    `,
  },
];
