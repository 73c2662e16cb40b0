import { SiloError } from '../errors';
import type { CatalogDb } from './catalog-db';

/** Writes one audit-log entry (the catalog's). */
export type AuditWriter = (entry: { actor: string; operation: string; outcome: 'ok' | 'error'; error: string | null; detail: Record<string, unknown> }) => void;

export interface AdminUser {
  readonly id: number;
  readonly email: string;
  readonly createdAt: number;
  readonly lastSignInAt: number | null;
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
}

/**
 * Operators of the admin console: accounts, sessions and SQL console history, in the catalog.
 * Passwords arrive already hashed and session ids hashed; this class never sees secrets.
 * Account changes and sign-ins go to the audit log.
 */
export class AdminDirectory {
  readonly #db: CatalogDb;
  readonly #audit: AuditWriter;

  constructor(db: CatalogDb, audit: AuditWriter) {
    this.#db = db;
    this.#audit = audit;
  }

  count(): number {
    return (this.#db.prepare('SELECT count(*) AS n FROM admin_users').get() as { n: number }).n;
  }

  create(email: string, passwordHash: string, actor = 'system', now = Date.now()): AdminUser {
    const normalized = normalizeEmail(email);
    try {
      const { lastInsertRowid } = this.#db
        .prepare('INSERT INTO admin_users (email, password_hash, created_at) VALUES (?, ?, ?)')
        .run(normalized, passwordHash, now);
      this.#audit({ actor, operation: 'admin add', outcome: 'ok', error: null, detail: { email: normalized } });
      return { id: Number(lastInsertRowid), email: normalized, createdAt: now, lastSignInAt: null };
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
  }

  createSession(userId: number, idHash: string, expiresAt: number, now = Date.now()): void {
    this.#db.prepare('INSERT INTO admin_sessions (id_hash, user_id, created_at, expires_at) VALUES (?, ?, ?, ?)').run(idHash, userId, now, expiresAt);
  }

  /** The live session of this id hash; expired sessions are removed and count as absent. */
  session(idHash: string, now = Date.now()): { user: AdminUser; expiresAt: number } | undefined {
    const row = this.#db
      .prepare<[string], UserRow & { expires_at: number }>(
        'SELECT u.*, s.expires_at FROM admin_sessions s JOIN admin_users u ON u.id = s.user_id WHERE s.id_hash = ?',
      )
      .get(idHash);
    if (!row) return undefined;
    if (row.expires_at <= now) {
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
        'SELECT * FROM query_history WHERE instance = ? ORDER BY at DESC, id DESC LIMIT ?',
      )
      .all(instance, Math.min(Math.max(1, limit), HISTORY_PER_INSTANCE))
      .map(({ ok, duration_ms, row_count, ...rest }) => ({ ...rest, ok: ok === 1, durationMs: duration_ms, rowCount: row_count }));
  }
}

function normalizeEmail(email: string): string {
  const trimmed = email.trim().toLowerCase();
  if (!/^[^\s@]+@[^\s@]+$/.test(trimmed) || trimmed.length > 254) {
    throw new SiloError('INVALID_INPUT', `"${email.slice(0, 80)}" is not an email address.`);
  }
  return trimmed;
}

function toUser(row: UserRow): AdminUser {
  return { id: row.id, email: row.email, createdAt: row.created_at, lastSignInAt: row.last_sign_in_at };
}
