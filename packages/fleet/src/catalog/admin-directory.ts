import { SiloError } from '../errors';
import { unsafeCharPattern } from '../unsafe-text';
import type { CatalogDb } from './catalog-db';

/** Writes one audit-log entry (the catalog's). */
export type AuditWriter = (entry: { actor: string; operation: string; outcome: 'ok' | 'error'; error: string | null; detail: Record<string, unknown> }) => void;

export interface AdminUser {
  readonly id: number;
  readonly email: string;
  readonly createdAt: number;
  readonly lastSignInAt: number | null;
  /** When the account was disabled (`silo admin disable`); null while it may sign in. */
  readonly disabledAt: number | null;
}

export interface AdminCredentials extends AdminUser {
  readonly passwordHash: string;
}

export interface QueryHistoryEntry {
  readonly id: number;
  readonly instance: string;
  readonly actor: string;
  readonly sql: string;
  readonly mode: 'read' | 'write';
  readonly ok: boolean;
  readonly durationMs: number;
  readonly rowCount: number;
  readonly at: number;
}

/** How many console queries are kept per instance. */
const HISTORY_PER_INSTANCE = 50;

interface UserRow {
  id: number;
  email: string;
  password_hash: string;
  created_at: number;
  last_sign_in_at: number | null;
  disabled_at: number | null;
}

export interface AdminDirectoryOptions {
  /**
   * The most failed sign-ins the audit log keeps; past it the oldest are removed. Anyone who
   * can reach the sign-in form writes these rows, so without a cap they could fill the log.
   */
  readonly maxFailedSignIns?: number;
  /**
   * Brings the catalog up to date before a session is looked up (a catalog on Turso: a sync
   * of the replica, at most once a second), so an admin disabled or removed by another process
   * is signed out within a second whatever SILO_CATALOG_SYNC_INTERVAL_SEC says.
   */
  readonly freshen?: () => void;
}

/** The default of SILO_AUDIT_MAX_FAILED_SIGNINS. */
export const DEFAULT_MAX_FAILED_SIGNINS = 10_000;

/**
 * Operators of the admin console: accounts, sessions and SQL console history, in the catalog.
 * Passwords arrive already hashed and session ids hashed; this class never sees secrets.
 * Account changes and sign-ins go to the audit log.
 */
export class AdminDirectory {
  readonly #db: CatalogDb;
  readonly #audit: AuditWriter;
  readonly #maxFailedSignIns: number;
  readonly #freshen: () => void;

  constructor(db: CatalogDb, audit: AuditWriter, options: AdminDirectoryOptions = {}) {
    this.#db = db;
    this.#audit = audit;
    this.#maxFailedSignIns = options.maxFailedSignIns ?? DEFAULT_MAX_FAILED_SIGNINS;
    this.#freshen = options.freshen ?? (() => undefined);
  }

  count(): number {
    return (this.#db.prepare('SELECT count(*) AS n FROM admin_users').get() as { n: number }).n;
  }

  /** Accounts that may sign in (not disabled). */
  countActive(): number {
    return (this.#db.prepare('SELECT count(*) AS n FROM admin_users WHERE disabled_at IS NULL').get() as { n: number }).n;
  }

  create(email: string, passwordHash: string, actor = 'system', now = Date.now()): AdminUser {
    const normalized = normalizeEmail(email);
    try {
      const { lastInsertRowid } = this.#db
        .prepare('INSERT INTO admin_users (email, password_hash, created_at) VALUES (?, ?, ?)')
        .run(normalized, passwordHash, now);
      this.#audit({ actor, operation: 'admin add', outcome: 'ok', error: null, detail: { email: normalized } });
      return { id: Number(lastInsertRowid), email: normalized, createdAt: now, lastSignInAt: null, disabledAt: null };
    } catch (error) {
      if (error instanceof Error && /UNIQUE constraint failed/.test(error.message)) {
        throw new SiloError('INVALID_INPUT', `An admin with the email ${normalized} already exists; reset their password instead.`);
      }
      throw error;
    }
  }

  /**
   * Creates the first admin unless one exists, in one write transaction: of several servers
   * starting at once on a shared catalog, exactly one creates it (undefined for the others).
   */
  createFirst(email: string, passwordHash: string, actor = 'system', now = Date.now()): AdminUser | undefined {
    return this.#db.transaction(() => (this.count() > 0 ? undefined : this.create(email, passwordHash, actor, now))).immediate();
  }

  findByEmail(email: string): AdminCredentials | undefined {
    const row = this.#db.prepare<[string], UserRow>('SELECT * FROM admin_users WHERE email = ?').get(normalizeEmail(email));
    return row && { ...toUser(row), passwordHash: row.password_hash };
  }

  list(): AdminUser[] {
    return this.#db.prepare<[], UserRow>('SELECT * FROM admin_users ORDER BY email').all().map(toUser);
  }

  /** Sets a new password hash and ends the user's sessions; false when there is no such user. */
  setPasswordHash(email: string, passwordHash: string, actor = 'system'): boolean {
    const changed = this.#db.transaction(() => {
      const user = this.findByEmail(email);
      if (!user) return false;
      this.#db.prepare('UPDATE admin_users SET password_hash = ? WHERE id = ?').run(passwordHash, user.id);
      this.deleteSessionsOf(user.id);
      return true;
    }).immediate();
    if (changed) this.#audit({ actor, operation: 'admin reset-password', outcome: 'ok', error: null, detail: { email: normalizeEmail(email) } });
    return changed;
  }

  /**
   * Stops an admin from signing in and ends their sessions at once: other processes read
   * sessions from the catalog, so their next request of such a session is signed out. Refused
   * for the last active admin, who would leave nobody able to sign in. False when the admin
   * was already disabled.
   */
  disable(email: string, actor = 'system', now = Date.now()): boolean {
    const normalized = normalizeEmail(email);
    const changed = this.#db.transaction(() => {
      const user = this.#require(normalized, 'disable');
      if (user.disabledAt !== null) return false;
      this.#assertNotLastActive(user, 'disable');
      this.#db.prepare('UPDATE admin_users SET disabled_at = ? WHERE id = ?').run(now, user.id);
      this.deleteSessionsOf(user.id);
      return true;
    }).immediate();
    if (changed) this.#audit({ actor, operation: 'admin disable', outcome: 'ok', error: null, detail: { email: normalized } });
    return changed;
  }

  /** Lets a disabled admin sign in again (with their old password). False when they were not disabled. */
  enable(email: string, actor = 'system'): boolean {
    const normalized = normalizeEmail(email);
    const changed = this.#db.transaction(() => {
      const user = this.#require(normalized, 'enable');
      if (user.disabledAt === null) return false;
      this.#db.prepare('UPDATE admin_users SET disabled_at = NULL WHERE id = ?').run(user.id);
      return true;
    }).immediate();
    if (changed) this.#audit({ actor, operation: 'admin enable', outcome: 'ok', error: null, detail: { email: normalized } });
    return changed;
  }

  /**
   * Removes an admin account and its sessions. Their audit entries and console history stay
   * (they name the email, not the row). Refused for the last active admin.
   */
  remove(email: string, actor = 'system'): void {
    const normalized = normalizeEmail(email);
    this.#db.transaction(() => {
      const user = this.#require(normalized, 'remove');
      if (user.disabledAt === null) this.#assertNotLastActive(user, 'remove');
      this.deleteSessionsOf(user.id);
      this.#db.prepare('DELETE FROM admin_users WHERE id = ?').run(user.id);
    }).immediate();
    this.#audit({ actor, operation: 'admin remove', outcome: 'ok', error: null, detail: { email: normalized } });
  }

  #require(email: string, verb: string): AdminCredentials {
    const user = this.findByEmail(email);
    if (!user) {
      throw new SiloError('ADMIN_NOT_FOUND', `No admin with the email ${email} to ${verb}. List the accounts with \`silo admin list\`.`, { details: { email } });
    }
    return user;
  }

  #assertNotLastActive(user: AdminUser, verb: 'disable' | 'remove'): void {
    const others = this.#db.prepare<[number], { n: number }>('SELECT count(*) AS n FROM admin_users WHERE disabled_at IS NULL AND id <> ?').get(user.id)?.n ?? 0;
    if (others === 0) {
      throw new SiloError(
        'LAST_ADMIN',
        `${user.email} is the last active admin: nobody could sign in to the console after this. Add another admin first (\`silo admin add <email>\`), then ${verb} ${user.email}.`,
        { details: { email: user.email } },
      );
    }
  }

  recordSignIn(userId: number, now = Date.now()): void {
    const row = this.#db.prepare<[number], { email: string }>('SELECT email FROM admin_users WHERE id = ?').get(userId);
    this.#db.prepare('UPDATE admin_users SET last_sign_in_at = ? WHERE id = ?').run(now, userId);
    if (row) this.#audit({ actor: `admin:${row.email}`, operation: 'admin sign-in', outcome: 'ok', error: null, detail: {} });
  }

  /** A refused sign-in, for the audit log: who tried, from where, and why (never the password). */
  recordSignInFailure(email: string, clientAddress: string, reason: string): void {
    this.#audit({
      actor: `anonymous@${clientAddress.slice(0, 64)}`,
      operation: 'admin sign-in',
      outcome: 'error',
      error: reason,
      detail: { email: email.trim().toLowerCase().slice(0, 254) },
    });
    this.#capFailedSignIns();
  }

  /**
   * Keeps at most `maxFailedSignIns` failed sign-ins, removing the oldest: the sign-in limits
   * bound what one address writes, this bounds what many addresses write together. The walk
   * goes over a partial index of these rows only (migration 7).
   */
  #capFailedSignIns(): void {
    const oldestKept = this.#db
      .prepare<[number], { id: number }>(
        `SELECT id FROM audit_log WHERE operation = 'admin sign-in' AND outcome = 'error' ORDER BY id DESC LIMIT 1 OFFSET ?`,
      )
      .get(this.#maxFailedSignIns - 1);
    if (!oldestKept) return;
    this.#db.prepare(`DELETE FROM audit_log WHERE operation = 'admin sign-in' AND outcome = 'error' AND id < ?`).run(oldestKept.id);
  }

  /**
   * A session for an admin who may sign in; false (and no session) when the account was
   * disabled or removed meanwhile, e.g. by `silo admin disable` during the password check.
   */
  createSession(userId: number, idHash: string, expiresAt: number, now = Date.now()): boolean {
    const { changes } = this.#db
      .prepare('INSERT INTO admin_sessions (id_hash, user_id, created_at, expires_at) SELECT ?, id, ?, ? FROM admin_users WHERE id = ? AND disabled_at IS NULL')
      .run(idHash, now, expiresAt, userId);
    return changes === 1;
  }

  /**
   * The live session of this id hash. Expired sessions are removed and count as absent, and so
   * do sessions of a disabled admin (disabling deletes them too; this covers one created in
   * between).
   */
  session(idHash: string, now = Date.now()): { user: AdminUser; expiresAt: number } | undefined {
    this.#freshen();
    const row = this.#db
      .prepare<[string], UserRow & { expires_at: number }>(
        'SELECT u.*, s.expires_at FROM admin_sessions s JOIN admin_users u ON u.id = s.user_id WHERE s.id_hash = ?',
      )
      .get(idHash);
    if (!row) return undefined;
    if (row.expires_at <= now || row.disabled_at !== null) {
      this.deleteSession(idHash);
      return undefined;
    }
    return { user: toUser(row), expiresAt: row.expires_at };
  }

  deleteSession(idHash: string): void {
    this.#db.prepare('DELETE FROM admin_sessions WHERE id_hash = ?').run(idHash);
  }

  deleteSessionsOf(userId: number): void {
    this.#db.prepare('DELETE FROM admin_sessions WHERE user_id = ?').run(userId);
  }

  /** Remembers a console query and trims the instance's history to the newest entries. */
  recordQuery(entry: Omit<QueryHistoryEntry, 'id' | 'at'> & { at?: number }): void {
    this.#db.transaction(() => {
      this.#db
        .prepare('INSERT INTO query_history (instance, actor, sql, mode, ok, duration_ms, row_count, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
        .run(entry.instance, entry.actor, entry.sql, entry.mode, entry.ok ? 1 : 0, entry.durationMs, entry.rowCount, entry.at ?? Date.now());
      this.#db
        .prepare(
          `DELETE FROM query_history WHERE instance = ? AND id NOT IN
             (SELECT id FROM query_history WHERE instance = ? ORDER BY at DESC, id DESC LIMIT ${HISTORY_PER_INSTANCE})`,
        )
        .run(entry.instance, entry.instance);
    }).immediate();
  }

  recentQueries(instance: string, limit = 20): QueryHistoryEntry[] {
    return this.#db
      .prepare<[string, number], Omit<QueryHistoryEntry, 'ok' | 'durationMs' | 'rowCount'> & { ok: number; duration_ms: number; row_count: number }>(
        'SELECT * FROM query_history WHERE instance = ? ORDER BY at DESC, id DESC LIMIT +?',
      )
      .all(instance, Math.min(Math.max(1, limit), HISTORY_PER_INSTANCE))
      .map(({ ok, duration_ms, row_count, ...rest }) => ({ ...rest, ok: ok === 1, durationMs: duration_ms, rowCount: row_count }));
  }
}

function normalizeEmail(email: string): string {
  const trimmed = email.trim().toLowerCase();
  // A control or invisible character would act on, or hide in, every list and log that shows the address.
  if (unsafeCharPattern().test(trimmed)) throw new SiloError('INVALID_INPUT', 'An email address cannot hold control or invisible characters.');
  if (!/^[^\s@]+@[^\s@]+$/.test(trimmed) || trimmed.length > 254) {
    throw new SiloError('INVALID_INPUT', `"${email.slice(0, 80)}" is not an email address.`);
  }
  return trimmed;
}

function toUser(row: UserRow): AdminUser {
  return { id: row.id, email: row.email, createdAt: row.created_at, lastSignInAt: row.last_sign_in_at, disabledAt: row.disabled_at };
}
