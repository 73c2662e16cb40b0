import type { BackupOverview, BackupPoint, InstanceBackupStatus } from '@silo/fleet';

/** Backup view shapes, shared by server and browser. */

export type BackupPanelView =
  | {
      status: InstanceBackupStatus;
      /** The newest points, newest first, with sizes. */
      points: readonly BackupPoint[];
      /** An in-place restore left a point to go back to. */
      hasUndo: boolean;
      intervalMs: number;
    }
  /** The backups could not be read (e.g. the location is unreachable): the reason. */
  | { unavailable: string };

export interface BackupsPageView {
  overview: BackupOverview;
  verifySample: number;
  now: number;
}

/** What a backup action hands back to the panel. */
export interface BackupAction {
  intent: string;
  ok?: string;
  error?: string;
  /** The form field the error is about (shown and focused there). */
  field?: 'point' | 'moment' | 'newName' | 'confirm';
  /** What was sent, so a refused form keeps its input. */
  values: Record<string, string>;
}

export const REASON_LABELS: Record<string, string> = {
  scheduled: 'scheduled',
  manual: 'backed up now',
  undo: 'before a restore (undo)',
  restored: 'after a restore',
};

/** A point's time in the console's zone (UTC), to the second: points can be seconds apart. */
export function pointTime(at: number): string {
  return new Date(at).toISOString().slice(0, 19).replace('T', ' ');
}

export function formatInterval(ms: number): string {
  if (ms < 60_000) return `${Math.round(ms / 1000)} s`;
  if (ms < 3_600_000) return `${Math.round(ms / 60_000)} min`;
  return `${Math.round(ms / 3_600_000)} h`;
}
