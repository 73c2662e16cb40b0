import type { CatalogDb } from './catalog-db';
import { ownerAlive } from '../processes';

/** What the catalog knows about one instance's backups: a summary; the points live in the location. */
export interface BackupStateRow {
  readonly instanceId: string;
  readonly name: string;
  readonly jurisdiction: string;
  readonly region: string;
  readonly state: string;
  readonly dbUrl: string;
  readonly changeToken: string | null;
  /** A second token that also means "unchanged since the last point" (EngineBackupSupport.snapshot). */
  readonly settledToken: string | null;
  /** Where the last point went (null: recorded before locations were). */
  readonly location: string | null;
  readonly lastPointId: string | null;
  readonly lastBackupAt: number | null;
  readonly lastAttemptAt: number | null;
  readonly lastError: string | null;
  readonly failures: number;
  readonly lastVerifiedAt: number | null;
  readonly lastVerifyOk: boolean | null;
}

export interface VerificationRecord {
  readonly runId: string;
  readonly at: number;
  readonly instance: string;
  readonly pointId: string | null;
  readonly ok: boolean;
  readonly problems: readonly string[];
  readonly durationMs: number;
}

/** One backup attempt of an instance: the point it made, or why it failed. */
export type AttemptRecord = { instanceId: string; at: number } & (
  | { ok: true; pointId: string; changeToken: string; settledToken: string | null; location: string }
  | { ok: false; error: string }
);

/** A location points were written to, and how many instances have their last point there. */
export interface UsedLocation {
  readonly location: string;
  readonly firstUsedAt: number;
  readonly lastUsedAt: number;
  readonly instances: number;
}

export interface LeaseInfo {
  readonly name: string;
  readonly owner: string;
  readonly acquiredAt: number;
  readonly expiresAt: number;
  readonly detail: Readonly<Record<string, unknown>> | null;
}

interface StateRow {
  instance_id: string;
  name: string;
  jurisdiction: string;
  region: string;
  state: string;
  db_url: string;
  change_token: string | null;
  settled_token: string | null;
  location: string | null;
  last_point_id: string | null;
  last_backup_at: number | null;
  last_attempt_at: number | null;
  last_error: string | null;
  failures: number | null;
  last_verified_at: number | null;
  last_verify_ok: number | null;
}

const SELECT_STATE = `
  SELECT i.id AS instance_id, i.name, i.jurisdiction, i.region, i.state, i.db_url,
         b.change_token, b.settled_token, b.location, b.last_point_id, b.last_backup_at, b.last_attempt_at, b.last_error, b.failures,
         b.last_verified_at, b.last_verify_ok
  FROM instances i LEFT JOIN backup_state b ON b.instance_id = i.id`;

/**
 * Backup bookkeeping in the catalog: per-instance summaries (for the overview and for cheap
 * change detection), verification results, and the scheduler's lease. Points themselves are
 * listed from the backup location, which survives the loss of the catalog.
 */
export class BackupRecords {
  readonly #db: CatalogDb;

  constructor(db: CatalogDb) {
    this.#db = db;
  }

  /** Every instance in these states with its backup summary, in name order. */
  states(states: readonly string[]): BackupStateRow[] {
    return this.#db
      .prepare<string[], StateRow>(`${SELECT_STATE} WHERE i.state IN (${states.map(() => '?').join(', ')}) ORDER BY i.name`)
      .all(...states)
      .map(toState);
  }

  stateOf(instanceId: string): BackupStateRow | undefined {
    const row = this.#db.prepare<[string], StateRow>(`${SELECT_STATE} WHERE i.id = ?`).get(instanceId);
    return row && toState(row);
  }

  /** Records finished backups and failures, many per transaction (one catalog fsync per batch). */
  recordAttempts(attempts: readonly AttemptRecord[]): void {
    if (attempts.length === 0) return;
    const success = this.#db.prepare(
      `INSERT INTO backup_state (instance_id, change_token, settled_token, location, last_point_id, last_backup_at, last_attempt_at, last_error, failures)
       SELECT @instanceId, @changeToken, @settledToken, @location, @pointId, @at, @at, NULL, 0 WHERE EXISTS (SELECT 1 FROM instances WHERE id = @instanceId)
       ON CONFLICT (instance_id) DO UPDATE SET change_token = excluded.change_token, settled_token = excluded.settled_token, location = excluded.location,
         last_point_id = excluded.last_point_id, last_backup_at = excluded.last_backup_at, last_attempt_at = excluded.last_attempt_at,
         last_error = NULL, failures = 0`,
    );
    const failure = this.#db.prepare(
      `INSERT INTO backup_state (instance_id, last_attempt_at, last_error, failures)
       SELECT @instanceId, @at, @error, 1 WHERE EXISTS (SELECT 1 FROM instances WHERE id = @instanceId)
       ON CONFLICT (instance_id) DO UPDATE SET last_attempt_at = excluded.last_attempt_at, last_error = excluded.last_error,
         failures = backup_state.failures + 1`,
    );
    const written = this.#db.prepare(
      `INSERT OR IGNORE INTO backup_instance_locations (instance_id, location)
       SELECT @instanceId, @location WHERE EXISTS (SELECT 1 FROM instances WHERE id = @instanceId)`,
    );
    const lastUse = new Map<string, number>();
    this.#db.transaction(() => {
      for (const attempt of attempts) {
        if (attempt.ok) {
          const { instanceId, at, pointId, changeToken, settledToken, location } = attempt;
          success.run({ instanceId, at, pointId, changeToken, settledToken, location });
          written.run({ instanceId, location });
          lastUse.set(location, Math.max(lastUse.get(location) ?? 0, at));
        } else {
          failure.run({ instanceId: attempt.instanceId, at: attempt.at, error: attempt.error });
        }
      }
      for (const [location, at] of lastUse) this.noteLocationUsed(location, at);
    }).immediate();
  }

  /** Remembers that a point was written to this location (see usedLocations). */
  noteLocationUsed(location: string, at: number): void {
    this.#db
      .prepare(
        `INSERT INTO backup_locations (location, first_used_at, last_used_at) VALUES (@location, @at, @at)
         ON CONFLICT (location) DO UPDATE SET last_used_at = max(last_used_at, excluded.last_used_at)`,
      )
      .run({ location, at });
  }

  /** Forgets a location points were written to; false if it was not known. */
  forgetLocation(location: string): boolean {
    return this.#db
      .transaction(() => {
        this.#db.prepare('DELETE FROM backup_instance_locations WHERE location = ?').run(location);
        return this.#db.prepare('DELETE FROM backup_locations WHERE location = ?').run(location).changes > 0;
      })
      .immediate();
  }

  /** Every location a point of this instance was written to (as far as the catalog knows), sorted. */
  locationsOf(instanceId: string): string[] {
    return this.#db
      .prepare<[string, string], { location: string }>(
        `SELECT location FROM backup_instance_locations WHERE instance_id = ?
         UNION SELECT location FROM backup_state WHERE instance_id = ? AND location IS NOT NULL ORDER BY location`,
      )
      .all(instanceId, instanceId)
      .map((row) => row.location);
  }

  /** Every location points were written to, oldest first, with the instances whose last point is there. */
  usedLocations(): UsedLocation[] {
    return this.#db
      .prepare<[], { location: string; first_used_at: number; last_used_at: number; instances: number }>(
        `SELECT l.location, l.first_used_at, l.last_used_at,
                (SELECT count(*) FROM backup_state b WHERE b.location = l.location) AS instances
         FROM backup_locations l ORDER BY l.first_used_at`,
      )
      .all()
      .map((row) => ({ location: row.location, firstUsedAt: row.first_used_at, lastUsedAt: row.last_used_at, instances: row.instances }));
  }

  /** Forgets the change token, so the next cycle backs the instance up whatever its files say (after an in-place restore). */
  invalidateToken(instanceId: string): void {
    this.#db.prepare('UPDATE backup_state SET change_token = NULL, settled_token = NULL WHERE instance_id = ?').run(instanceId);
  }

  /**
   * Forgets the last point as well: the next cycle takes a new point and writes every chunk
   * again, none taken as already stored (verification found the last point damaged).
   */
  forgetLastPoint(instanceId: string): void {
    this.#db.prepare('UPDATE backup_state SET change_token = NULL, settled_token = NULL, last_point_id = NULL WHERE instance_id = ?').run(instanceId);
  }

  /**
   * The instances the next verification should check: never or least recently verified first.
   * Any instance ever backed up, also one whose damaged last point was forgotten
   * (`forgetLastPoint`) and not yet replaced: verification reads its points from the location.
   */
  verificationSample(size: number): BackupStateRow[] {
    return this.#db
      .prepare<[number], StateRow>(
        `${SELECT_STATE} WHERE i.state = 'ready' AND b.last_backup_at IS NOT NULL
         ORDER BY coalesce(b.last_verified_at, 0), random() LIMIT +?`,
      )
      .all(size)
      .map(toState);
  }

  recordVerifications(records: readonly (VerificationRecord & { instanceId: string })[]): void {
    const insert = this.#db.prepare(
      `INSERT INTO backup_verifications (run_id, at, instance, point_id, ok, problems, duration_ms) VALUES (?, ?, ?, ?, ?, ?, ?)`,
    );
    const state = this.#db.prepare('UPDATE backup_state SET last_verified_at = ?, last_verify_ok = ? WHERE instance_id = ?');
    this.#db.transaction(() => {
      for (const record of records) {
        insert.run(record.runId, record.at, record.instance, record.pointId, record.ok ? 1 : 0, JSON.stringify(record.problems), record.durationMs);
        state.run(record.at, record.ok ? 1 : 0, record.instanceId);
      }
    }).immediate();
  }

  /** Drops the verification history of a name (its instance was purged; a new one of that name starts afresh). */
  forgetVerifications(instance: string): void {
    this.#db.prepare('DELETE FROM backup_verifications WHERE instance = ?').run(instance);
  }

  /** The results of the most recent verification run. */
  lastVerificationRun(): VerificationRecord[] {
    const last = this.#db.prepare<[], { run_id: string }>('SELECT run_id FROM backup_verifications ORDER BY at DESC, id DESC LIMIT 1').get();
    if (!last) return [];
    return this.verifications({ runId: last.run_id, limit: 10_000 });
  }

  verifications(query: { runId?: string; instance?: string; limit?: number }): VerificationRecord[] {
    const clauses: string[] = [];
    const params: Record<string, unknown> = { limit: query.limit ?? 50 };
    if (query.runId) {
      clauses.push('run_id = @runId');
      params['runId'] = query.runId;
    }
    if (query.instance) {
      clauses.push('instance = @instance');
      params['instance'] = query.instance;
    }
    return this.#db
      .prepare<[Record<string, unknown>], { run_id: string; at: number; instance: string; point_id: string | null; ok: number; problems: string | null; duration_ms: number }>(
        `SELECT * FROM backup_verifications ${clauses.length ? `WHERE ${clauses.join(' AND ')}` : ''} ORDER BY at DESC, id DESC LIMIT +@limit`,
      )
      .all(params)
      .map((row) => ({
        runId: row.run_id,
        at: row.at,
        instance: row.instance,
        pointId: row.point_id,
        ok: row.ok === 1,
        problems: row.problems ? (JSON.parse(row.problems) as string[]) : [],
        durationMs: row.duration_ms,
      }));
  }

  /**
   * Takes or renews a named lease for `ttlMs`. Only one owner holds it: another may take it
   * over once it has expired, or at once when its holder is a dead process on this machine.
   * Owners are `<process owner>/<suffix>`, so two fleets in one process are told apart too.
   */
  acquireLease(name: string, owner: string, ttlMs: number, now: number): boolean {
    return this.#db
      .transaction(() => {
        const current = this.lease(name);
        const free = !current || current.owner === owner || current.expiresAt < now || ownerAlive(current.owner) === false;
        if (!free) return false;
        this.#db
          .prepare(
            `INSERT INTO leases (name, owner, acquired_at, expires_at) VALUES (@name, @owner, @now, @expires)
             ON CONFLICT (name) DO UPDATE SET
               acquired_at = CASE WHEN leases.owner = excluded.owner THEN leases.acquired_at ELSE excluded.acquired_at END,
               owner = excluded.owner, expires_at = excluded.expires_at`,
          )
          .run({ name, owner, now, expires: now + ttlMs });
        return true;
      })
      .immediate();
  }

  releaseLease(name: string, owner: string): void {
    this.#db.prepare('DELETE FROM leases WHERE name = ? AND owner = ?').run(name, owner);
  }

  /** Attaches a summary (e.g. of the last cycle) to a lease this process holds. */
  setLeaseDetail(name: string, owner: string, detail: Record<string, unknown>): void {
    this.#db.prepare('UPDATE leases SET detail = ? WHERE name = ? AND owner = ?').run(JSON.stringify(detail), name, owner);
  }

  lease(name: string): LeaseInfo | undefined {
    const row = this.#db
      .prepare<[string], { name: string; owner: string; acquired_at: number; expires_at: number; detail: string | null }>('SELECT * FROM leases WHERE name = ?')
      .get(name);
    return (
      row && {
        name: row.name,
        owner: row.owner,
        acquiredAt: row.acquired_at,
        expiresAt: row.expires_at,
        detail: row.detail ? (JSON.parse(row.detail) as Record<string, unknown>) : null,
      }
    );
  }
}

function toState(row: StateRow): BackupStateRow {
  return {
    instanceId: row.instance_id,
    name: row.name,
    jurisdiction: row.jurisdiction,
    region: row.region,
    state: row.state,
    dbUrl: row.db_url,
    changeToken: row.change_token,
    settledToken: row.settled_token,
    location: row.location,
    lastPointId: row.last_point_id,
    lastBackupAt: row.last_backup_at,
    lastAttemptAt: row.last_attempt_at,
    lastError: row.last_error,
    failures: row.failures ?? 0,
    lastVerifiedAt: row.last_verified_at,
    lastVerifyOk: row.last_verify_ok === null ? null : row.last_verify_ok === 1,
  };
}
