import type { InstanceInfo } from '../catalog/catalog';
import type { VerificationRecord } from '../catalog/backup-records';
import type { PointReason } from './points';

/** The shapes of the backups API, exported from index.ts for the CLI and the admin console. */

export interface BackupPoint {
  readonly id: string;
  readonly takenAt: number;
  /**
   * scheduled (the scheduler), manual (`backup now`), undo (the state an in-place restore
   * replaced), restored (the state an in-place restore or undo put in place, taken right after).
   */
  readonly reason: PointReason;
  /** With `details`: the database's size and what this point added to the location. */
  readonly sizeBytes?: number;
  readonly storedBytes?: number;
  readonly schemaVersion?: number;
}

export interface InstanceBackupStatus {
  readonly instance: string;
  readonly state: string;
  readonly jurisdiction: string;
  readonly region: string;
  readonly location: string;
  readonly lastBackupAt: number | null;
  readonly lastPointId: string | null;
  readonly lastAttemptAt: number | null;
  /** The last attempt's error; cleared by the next success. */
  readonly lastError: string | null;
  readonly failures: number;
  /** The database changed since its last point (it will be in the next cycle's backup). */
  readonly pending: boolean;
  /** How long changes may have waited for a backup (an upper bound: time since the last point); 0 when nothing is pending. */
  readonly lagMs: number;
  readonly points: number;
  readonly oldestPointAt: number | null;
  /** The newest undo point (the state an in-place restore replaced): what `undoRestore` goes back to. */
  readonly lastUndoAt: number | null;
  readonly lastVerification: VerificationRecord | null;
}

export interface RestoreOptions {
  /** The moment to go back to: the newest point taken at or before it is used. */
  at: Date | number;
  /** Restore as a new instance of this name (the source keeps serving). */
  as?: string;
  /** Replace the instance's content; the state it replaces is kept as an undo point. */
  inPlace?: boolean;
  /** With `as`: a region of the source's jurisdiction (default: the source's region). */
  region?: string;
  actor?: string;
}

export interface RestoreResult {
  readonly mode: 'new-instance' | 'in-place';
  readonly instance: InstanceInfo;
  readonly point: BackupPoint;
  /** In place: the point holding the replaced state; `undoRestore` goes back to it. */
  readonly undoPoint?: BackupPoint;
}

export interface VerificationReport {
  readonly runId: string;
  readonly at: number;
  readonly checked: number;
  readonly failed: number;
  readonly results: readonly VerificationRecord[];
}

export interface CycleReport {
  readonly at: number;
  readonly scanned: number;
  readonly changed: number;
  readonly backedUp: number;
  readonly failed: number;
  readonly catalogBackedUp: boolean;
  /** Why the catalog could not be backed up this cycle (retried next cycle). */
  readonly catalogError?: string;
  /** Listing the ready instances and a stat of each: the cost of a cycle when nothing changed. */
  readonly scanMs: number;
  readonly durationMs: number;
}

export interface RetentionReport {
  readonly pointsRemoved: number;
  readonly chunksRemoved: number;
  /** Purged instances whose backups were removed after `purgeAfterDays`. */
  readonly instancesRemoved: readonly string[];
  readonly leftoversRemoved: number;
}

export interface BackupOverview {
  readonly enabled: boolean;
  readonly intervalMs: number;
  /** The process running the scheduler, if any holds the lease now. */
  readonly scheduler: { readonly owner: string; readonly since: number; readonly expiresAt: number; readonly lastCycle: CycleReport | null } | null;
  readonly instances: number;
  readonly backedUp: number;
  readonly neverBackedUp: number;
  readonly oldestLastBackupAt: number | null;
  /** Instances whose last attempt failed (most recent first, at most 100). */
  readonly failing: readonly { instance: string; error: string; failures: number; lastAttemptAt: number | null; lastBackupAt: number | null }[];
  readonly lastVerification: VerificationReport | null;
  readonly locations: readonly { region: string; jurisdiction: string; location: string }[];
  /**
   * Locations points were written to that are no longer configured. What they hold is out of
   * Silo's reach: retention and purge no longer apply there. `instances` counts those whose
   * newest point is still there (not yet backed up in their region's new location).
   */
  readonly retiredLocations: readonly { location: string; lastUsedAt: number; instances: number }[];
}

export interface ActorOption {
  actor?: string;
}

