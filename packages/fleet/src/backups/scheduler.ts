import type { BackupRecords, LeaseInfo } from '../catalog/backup-records';
import { ownerAlive } from '../processes';
import type { BackupSettings } from './backup-config';
import type { CycleReport, RetentionReport, VerificationReport } from './backup-types';

const SCHEDULER_LEASE = 'backup-scheduler';

export interface SchedulerParts {
  readonly records: BackupRecords;
  /** This fleet's name in the lease. */
  readonly owner: string;
  readonly settings: BackupSettings;
  readonly clock: () => number;
  runCycle(): Promise<CycleReport>;
  applyRetention(): Promise<RetentionReport>;
  verify(): Promise<VerificationReport>;
  lastVerifiedAt(): number;
  /** Puts a failed tick on record; the loop itself goes on. */
  recordFailure(error: unknown): void;
}

/**
 * Runs backup cycles every interval while this fleet holds the `backup-scheduler` lease in the
 * catalog (renewed each tick, 3 × interval long, at least 30 s); retention and verification
 * run from the same ticks when they are due.
 */
export class BackupScheduler {
  readonly #parts: SchedulerParts;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #stopped = true;
  #lastRetentionAt = 0;
  #onCycle: ((cycle: CycleReport) => void) | undefined;

  constructor(parts: SchedulerParts) {
    this.#parts = parts;
  }

  get running(): boolean {
    return !this.#stopped;
  }

  start(onCycle?: (cycle: CycleReport) => void): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    this.#onCycle = onCycle;
    // A stop() may still be waiting for its last tick: the loop resumes after that tick, never
    // beside it (two loops would outlive the next stop() and take the lease back after it).
    if (this.#running) void this.#running.then(() => this.#schedule(0));
    else this.#schedule(0);
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#running;
    this.#parts.records.releaseLease(SCHEDULER_LEASE, this.#parts.owner);
  }

  async tick(): Promise<CycleReport | undefined> {
    const { records, owner, settings, clock } = this.#parts;
    const now = clock();
    const ttl = Math.max(3 * settings.intervalMs, 30_000);
    const renew = (): boolean => records.acquireLease(SCHEDULER_LEASE, owner, ttl, clock());
    if (!records.acquireLease(SCHEDULER_LEASE, owner, ttl, now)) return undefined;
    // A tick can outlast the lease (the first cycle of a big fleet takes minutes): it is renewed
    // while the tick works, or another process would take over and back up the same instances
    // beside this one, and run retention beside its writes.
    const heartbeat = setInterval(() => {
      try {
        renew();
      } catch {
        // The catalog is failing: the lease runs out and the next tick reports it.
      }
    }, Math.min(settings.intervalMs, ttl / 3));
    try {
      const cycle = await this.#parts.runCycle();
      records.setLeaseDetail(SCHEDULER_LEASE, owner, { lastCycle: cycle });
      // Lost meanwhile (this process stalled for longer than the lease): the holder does the rest.
      if (!renew()) return cycle;
      // Neither may stop the cycles; the next tick retries them.
      if (now - this.#lastRetentionAt >= settings.retentionIntervalMs) {
        this.#lastRetentionAt = now;
        // A failed run is already in the audit log (applyRetention records it).
        await this.#parts.applyRetention().catch(() => undefined);
      }
      if (settings.verifySample > 0 && cycle.scanned > 0 && now - this.#parts.lastVerifiedAt() >= settings.verifyIntervalMs) {
        // Failed checks are results, not errors; an error here means the run itself broke.
        await this.#parts.verify().catch((error: unknown) => this.#parts.recordFailure(error));
      }
      return cycle;
    } finally {
      clearInterval(heartbeat);
    }
  }

  /** The lease if a live process holds it now. */
  liveLease(): LeaseInfo | undefined {
    const lease = this.#parts.records.lease(SCHEDULER_LEASE);
    if (!lease || lease.expiresAt < this.#parts.clock() || ownerAlive(lease.owner) === false) return undefined;
    return lease;
  }

  #schedule(delayMs: number): void {
    if (this.#stopped) return;
    clearTimeout(this.#timer);
    // Not unref'd on purpose: `silo backup run` has nothing else keeping its process alive
    // between cycles. Servers and scripts end it with `fleet.close()`, which calls stop().
    this.#timer = setTimeout(() => {
      this.#running = this.#tickAndReport().finally(() => this.#schedule(this.#parts.settings.intervalMs));
    }, delayMs);
  }

  /** A tick from the timer: nothing may escape it (an unhandled rejection would end the process). */
  async #tickAndReport(): Promise<void> {
    try {
      const cycle = await this.tick();
      if (cycle) this.#onCycle?.(cycle);
    } catch (error) {
      this.#parts.recordFailure(error);
    }
  }
}
