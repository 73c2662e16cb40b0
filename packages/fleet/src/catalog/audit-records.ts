import type { CatalogDb, CatalogWrite } from './catalog-db';
import { Statements } from './statements';

export interface AuditEntry {
  readonly id: number;
  readonly at: number;
  readonly actor: string;
  readonly operation: string;
  readonly instance: string | null;
  readonly outcome: 'ok' | 'error';
  readonly error: string | null;
  readonly detail: Readonly<Record<string, unknown>> | null;
}

export type NewAuditEntry = Omit<AuditEntry, 'id' | 'at'> & { at?: number };

export interface AuditQuery {
  instance?: string;
  operation?: string;
  actor?: string;
  outcome?: 'ok' | 'error';
  since?: number;
  /** Leaves out entries whose detail names another jurisdiction (a refused create there, say). */
  jurisdiction?: string;
  limit?: number;
  offset?: number;
}

/** Writing to the audit log prunes it by retention at most this often per process. */
const AUDIT_PRUNE_INTERVAL_MS = 60 * 60 * 1000;
/** Rows removed per statement, so pruning a long backlog never holds the write lock for long. */
const AUDIT_PRUNE_BATCH = 5_000;

/** The catalog's audit log table: appending, reading, and keeping it within its retention. */
export class AuditRecords {
  readonly #statements: Statements;
  readonly #retentionMs: number;
  #prunedAt = Number.NEGATIVE_INFINITY;

  /** `retentionMs`: entries older than this are removed by `prune`; 0 keeps them forever. */
  constructor(db: CatalogDb, retentionMs: number) {
    this.#statements = new Statements(db);
    this.#retentionMs = retentionMs;
  }

  append(entry: NewAuditEntry): void {
    const { sql, args } = auditWrite(entry);
    this.#statements.get(sql).run(...args);
    // Every process that writes the log also keeps it within retention, so a server running
    // for months prunes without a restart. A failure here must not fail the operation that
    // was audited: the next write tries again.
    const now = Date.now();
    if (this.#retentionMs > 0 && now - this.#prunedAt >= AUDIT_PRUNE_INTERVAL_MS) {
      try {
        this.prune(now);
      } catch {
        this.#prunedAt = now;
      }
    }
  }

  /**
   * Removes entries older than the retention (SILO_AUDIT_RETENTION_DAYS; 0 keeps them
   * forever), in batches. Runs with the start-up housekeeping, `silo doctor`, and hourly as the
   * log is written. On Turso the check reads the replica, so a catalog with nothing to remove
   * costs no round trip. Returns how many entries went.
   */
  prune(now = Date.now()): number {
    this.#prunedAt = now;
    if (this.#retentionMs <= 0) return 0;
    const before = now - this.#retentionMs;
    if (!this.#statements.get<[number], { found: number }>('SELECT 1 AS found FROM audit_log WHERE at < ? LIMIT 1').get(before)) return 0;
    const batch = this.#statements.get<[number, number], never>('DELETE FROM audit_log WHERE id IN (SELECT id FROM audit_log WHERE at < ? LIMIT +?)');
    let removed = 0;
    for (;;) {
      const { changes } = batch.run(before, AUDIT_PRUNE_BATCH);
      removed += changes;
      if (changes < AUDIT_PRUNE_BATCH) return removed;
    }
  }

  /** The operations the log holds entries of, in name order (for a filter that matched nothing). */
  operations(): string[] {
    return this.#statements
      .get<[], { operation: string }>('SELECT DISTINCT operation FROM audit_log ORDER BY operation')
      .all()
      .map((row) => row.operation);
  }

  /** Entries matching the query, newest first, with how many match in all. */
  query(query: AuditQuery = {}): { items: AuditEntry[]; total: number } {
    const clauses: string[] = [];
    const params: Record<string, unknown> = {};
    for (const key of ['instance', 'operation', 'actor', 'outcome'] as const) {
      if (query[key] !== undefined) {
        clauses.push(`${key} = @${key}`);
        params[key] = query[key];
      }
    }
    if (query.since !== undefined) {
      clauses.push('at >= @since');
      params['since'] = query.since;
    }
    if (query.jurisdiction !== undefined) {
      clauses.push("coalesce(json_extract(detail, '$.jurisdiction'), @jurisdiction) = @jurisdiction");
      params['jurisdiction'] = query.jurisdiction;
    }
    const where = clauses.length ? `WHERE ${clauses.join(' AND ')}` : '';
    const total = this.#statements.get<[Record<string, unknown>], { n: number }>(`SELECT count(*) AS n FROM audit_log ${where}`).get(params)?.n ?? 0;
    const rows = this.#statements
      .get<[Record<string, unknown>], Omit<AuditEntry, 'detail'> & { detail: string | null }>(
        `SELECT * FROM audit_log ${where} ORDER BY at DESC, id DESC LIMIT +@limit OFFSET @offset`,
      )
      .all({ ...params, limit: clampInt(query.limit ?? 50, 1, 1_000), offset: Math.max(0, query.offset ?? 0) });
    return { items: rows.map((row) => ({ ...row, detail: row.detail ? (JSON.parse(row.detail) as Record<string, unknown>) : null })), total };
  }
}

function clampInt(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, Math.trunc(value)));
}

/** The insert of one entry, to write in a batch with the change it records (see AuditLog.runRecordedBy). */
export function auditWrite(entry: NewAuditEntry): CatalogWrite {
  return {
    sql: 'INSERT INTO audit_log (at, actor, operation, instance, outcome, error, detail) VALUES (?, ?, ?, ?, ?, ?, ?)',
    args: [entry.at ?? Date.now(), entry.actor, entry.operation, entry.instance, entry.outcome, entry.error, entry.detail ? JSON.stringify(entry.detail) : null],
  };
}
