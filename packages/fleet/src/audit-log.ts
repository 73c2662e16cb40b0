import { auditWrite, type AuditRecords, type NewAuditEntry } from './catalog/audit-records';
import type { CatalogWrite } from './catalog/catalog-db';
import { diskFullError, isDiskFull } from './disk-space';
import { SiloError, errorMessage } from './errors';

/**
 * The fleet's audit log as its operations use it: every mutating operation runs through `run`,
 * which writes one entry with its outcome, whoever calls it (the fleet, backups, a move).
 */
/** Who asks for an audited operation, and (optionally) the request that asked, kept in its detail. */
export interface AuditedBy {
  actor?: string;
  requestId?: string;
}

export class AuditLog {
  /** Who an entry names when the operation does not say. */
  readonly actor: string;
  readonly #records: AuditRecords;
  readonly #dataDir: string;
  #closed = false;
  /** Operations recorded by this process, by kind and outcome (Fleet.stats): kinds are a fixed set of names. */
  readonly operations = new Map<string, { ok: number; error: number }>();

  /** `dataDir`: the disk whose full state turns a failure into DISK_FULL (the catalog lives there). */
  constructor(records: AuditRecords, options: { actor: string; dataDir: string }) {
    this.#records = records;
    this.actor = options.actor;
    this.#dataDir = options.dataDir;
  }

  actorOf(options: { actor?: string }): string {
    return options.actor ?? this.actor;
  }

  /**
   * Runs `work` and records it: `ok`, or `error` with the message it failed with (a full disk
   * said as DISK_FULL, also to the caller). Refused once the fleet is closed.
   */
  async run<T>(
    operation: string,
    instance: string | null,
    options: AuditedBy,
    detail: Record<string, unknown>,
    work: () => Promise<T>,
  ): Promise<T> {
    this.assertOpen();
    const entry = this.#entry(operation, instance, options, detail);
    const result = await this.#failureRecorded(entry, work);
    this.#recordOrWarn({ ...entry, outcome: 'ok', error: null });
    return result;
  }

  /**
   * `run` for an operation that is done only once its result has been delivered (a download
   * streamed to a client): a failure of `work` is recorded at once; its success when
   * `delivered(result)` settles, `ok`, or `error` saying why the delivery stopped. The result is
   * returned as soon as `work` has it.
   */
  async runDelivered<T>(
    operation: string,
    instance: string | null,
    options: AuditedBy,
    detail: Record<string, unknown>,
    work: () => Promise<T>,
    delivered: (result: T) => Promise<void>,
  ): Promise<T> {
    this.assertOpen();
    const entry = this.#entry(operation, instance, options, detail);
    const result = await this.#failureRecorded(entry, work);
    delivered(result)
      .then(
        () => this.#recordOrWarn({ ...entry, outcome: 'ok', error: null }),
        (error: unknown) => this.#recordOrWarn({ ...entry, outcome: 'error', error: errorMessage(error) }),
      )
      // A delivery can outlive the fleet (closed while a client still downloads): say so, do not crash.
      .catch((error: unknown) => process.emitWarning(`Could not write the audit entry of ${entry.operation} ${entry.instance ?? ''}: ${errorMessage(error)}`));
    return result;
  }

  /** `work`'s result; its failure recorded (a full disk said as DISK_FULL, also to the caller) and thrown. */
  async #failureRecorded<T>(entry: Omit<NewAuditEntry, 'outcome' | 'error'>, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      const reported = diskFullError(error, this.#dataDir);
      // The audit entry must not hide the failure: on a full disk it cannot be written either.
      this.#recordOrWarn({ ...entry, outcome: 'error', error: errorMessage(reported) });
      throw reported;
    }
  }

  /**
   * `run` for an operation that commits its `ok` entry itself, in the same catalog batch as the
   * change it records (a create: one request to a primary on Turso instead of two). `work`
   * calls `entry.write()` for the insert and `entry.committed()` once that batch committed;
   * an entry not committed by `work` is written here as by `run`.
   */
  async runCommittedBy<T>(
    operation: string,
    instance: string | null,
    options: AuditedBy,
    detail: Record<string, unknown>,
    work: (entry: AuditHandoff) => Promise<T>,
  ): Promise<T> {
    this.assertOpen();
    const entry = this.#entry(operation, instance, options, detail);
    let committed = false;
    const handoff: AuditHandoff = {
      write: () => auditWrite({ ...entry, outcome: 'ok', error: null }),
      committed: () => void (committed = true),
    };
    let result: T;
    try {
      result = await work(handoff);
    } catch (error) {
      const reported = diskFullError(error, this.#dataDir);
      if (!committed) this.#recordOrWarn({ ...entry, outcome: 'error', error: errorMessage(reported) });
      throw reported;
    }
    if (committed) countOperation(this.operations, operation, 'ok');
    else this.#recordOrWarn({ ...entry, outcome: 'ok', error: null });
    return result;
  }

  #entry(operation: string, instance: string | null, options: AuditedBy, detail: Record<string, unknown>): Omit<NewAuditEntry, 'outcome' | 'error'> {
    const withRequest = options.requestId === undefined ? detail : { ...detail, requestId: options.requestId };
    return { actor: this.actorOf(options), operation, instance: instance === null ? null : auditName(instance), detail: withRequest };
  }

  /** An entry for an operation that tallies its own outcome (fleet-wide runs, scheduler steps). */
  record(entry: NewAuditEntry): void {
    countOperation(this.operations, entry.operation, entry.outcome);
    this.#records.append(entry.instance === null ? entry : { ...entry, instance: auditName(entry.instance) });
  }

  /** After this, `run` refuses with FLEET_CLOSED: the fleet (and its catalog) is gone. */
  close(): void {
    this.#closed = true;
  }

  assertOpen(): void {
    if (this.#closed) throw new SiloError('FLEET_CLOSED', 'This fleet has been closed; open a new one.');
  }

  /** An entry a full disk refuses is reported as a warning (the operation itself is done). */
  #recordOrWarn(entry: NewAuditEntry): void {
    countOperation(this.operations, entry.operation, entry.outcome);
    try {
      this.#records.append(entry);
    } catch (error) {
      if (!isDiskFull(error, this.#dataDir)) throw error;
      process.emitWarning(`Could not write the audit entry of ${entry.operation} ${entry.instance ?? ''}: the disk holding ${this.#dataDir} is full.`, { code: 'SILO_DISK_FULL' });
    }
  }
}

/** Keeps hostile input (path tricks, huge strings) readable in the audit log. */
export function auditName(name: string): string {
  return name.length > 100 ? `${name.slice(0, 97)}...` : name;
}

function countOperation(counts: Map<string, { ok: number; error: number }>, operation: string, outcome: 'ok' | 'error' | undefined): void {
  let count = counts.get(operation);
  if (!count) counts.set(operation, (count = { ok: 0, error: 0 }));
  count[outcome ?? 'ok']++;
}

/** An operation's `ok` audit entry, handed to the code that commits it with the operation's own write. */
export interface AuditHandoff {
  write(): CatalogWrite;
  committed(): void;
}
