import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { copyCommittedState, removeDatabaseFiles, type Connection } from './database-files';
import { platformError } from './http-util';

export interface HistoryOptions {
  /** At most one copy point per this many ms (0 = before every write that follows a commit). */
  intervalMs: number;
  /** Copy points kept per database; the oldest go first. */
  limit: number;
  /** Copy points whose state ended longer ago than this are dropped (Turso: 24 h on most plans). */
  retentionMs: number;
}

interface CopyPoint {
  file: string;
  /** Commit sequence number of the state this file holds. */
  seq: number;
  /** The state began at this time (a commit, or the database's creation)... */
  stateSince: number;
  /** ...and lasted until this commit (undefined while it is still the current state). */
  supersededAt: number | undefined;
}

export type RecoverySource = { kind: 'current' } | { kind: 'copy'; file: string };

/**
 * Point-in-time history for `seed.timestamp`, kept cheap and honest: before a write replaces
 * a committed state, that state is copied (VACUUM INTO) unless a copy was taken less than
 * `intervalMs` ago. A timestamp is served when it falls inside the lifetime of a copied state
 * or of the current state; any other timestamp is refused with a 400, never approximated.
 */
export class DatabaseHistory {
  readonly #points: CopyPoint[] = [];
  #seq = 0;
  #stateSince: number;
  #lastCopyAt = -Infinity;

  constructor(
    private readonly dir: string,
    private readonly options: HistoryOptions,
    private readonly createdAt: number,
    /** When the current state is known to have begun: creation, or the restart that loaded it. */
    stateSince: number = createdAt,
  ) {
    this.#stateSince = stateSince;
  }

  /** Call before a statement that may write: copies the committed state if it is due. */
  beforeWrite(source: Connection, nowMs: number): void {
    const last = this.#points.at(-1);
    if (last !== undefined && last.seq === this.#seq) return;
    if (nowMs - this.#lastCopyAt < this.options.intervalMs) return;
    mkdirSync(this.dir, { recursive: true });
    const file = path.join(this.dir, `state-${this.#seq}-${nowMs}.db`);
    copyCommittedState(source, file);
    this.#points.push({ file, seq: this.#seq, stateSince: this.#stateSince, supersededAt: undefined });
    this.#lastCopyAt = nowMs;
    this.#prune(nowMs);
  }

  /** Call after a write became visible (autocommit statement or COMMIT). */
  noteCommit(nowMs: number): void {
    const last = this.#points.at(-1);
    if (last !== undefined && last.seq === this.#seq) last.supersededAt = nowMs;
    this.#seq += 1;
    this.#stateSince = nowMs;
  }

  /** Where the state at `atMs` can be copied from, or the Platform API's 400. */
  resolve(atMs: number, nowMs: number): RecoverySource {
    if (atMs > nowMs) throw platformError(400, 'invalid timestamp: it is in the future');
    if (atMs < this.createdAt) throw platformError(400, 'invalid timestamp: the database did not exist at that time');
    if (atMs >= this.#stateSince) return { kind: 'current' };
    const point = this.#points.find(
      (p) => p.stateSince <= atMs && (p.supersededAt === undefined || atMs < p.supersededAt),
    );
    if (point === undefined) {
      throw platformError(
        400,
        `no recovery point for ${new Date(atMs).toISOString()}: the stand-in keeps copy points at most every ${this.options.intervalMs} ms`,
      );
    }
    return { kind: 'copy', file: point.file };
  }

  dispose(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }

  #prune(nowMs: number): void {
    for (;;) {
      const oldest = this.#points[0];
      if (oldest === undefined) return;
      const expired = oldest.supersededAt !== undefined && nowMs - oldest.supersededAt > this.options.retentionMs;
      if (this.#points.length <= this.options.limit && !expired) return;
      removeDatabaseFiles(oldest.file);
      this.#points.shift();
    }
  }
}
