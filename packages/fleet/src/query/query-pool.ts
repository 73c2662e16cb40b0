import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { SiloError } from '../errors';
import type { QueryLimits } from '../config';
import type { QueryResult, SqlArgs } from '../engine';
import { refusalError, type Refusal } from './refusal';
import { refWhileBusy } from '../child-ref';

export interface QueryTask {
  readonly path: string;
  readonly sql: string;
  readonly args?: SqlArgs | undefined;
  readonly readOnly: boolean;
  readonly limits: QueryLimits;
  readonly busyTimeoutMs: number;
  /** The instance's size cap, for write connections (see size-cap.ts). */
  readonly maxDatabaseBytes?: number;
  /** Write mode only: several statements as one transaction (query-host.mjs). */
  readonly script?: boolean | undefined;
}

type Reply =
  | { id: number; ok: true; result: QueryResult }
  | { id: number; ok: false; error: { message: string; sqliteCode: string | null; refusal?: Refusal } };

interface Job {
  readonly id: number;
  readonly task: QueryTask;
  readonly resolve: (result: QueryResult) => void;
  readonly reject: (error: unknown) => void;
}

/** Queries killed at their time limit, in this process (all pools): for metrics (Fleet.stats). */
export const queryPoolCounters = { kills: 0 };

const HOST_PATH = fileURLToPath(new URL('./query-host.mjs', import.meta.url));

/**
 * Queries sent to one process ahead of its current one, so the process never waits for a
 * round trip between fleet-wide queries. Small, so an interactive query queued behind a
 * fleet query waits for a few instances at most.
 */
const PIPELINE_DEPTH = 4;

/**
 * A small pool of query host processes. A query that outlives its time limit gets its process
 * killed (SIGKILL: SQLite cannot be interrupted from JavaScript) and a fresh one takes its
 * place; queries that were queued on that process go to another one. The caller's process
 * never blocks on SQLite.
 */
export class QueryPool {
  readonly #size: number;
  readonly #workers = new Set<Worker>();
  readonly #queue: Job[] = [];
  #nextId = 1;
  #closed = false;

  constructor(size: number) {
    this.#size = size;
  }

  run(task: QueryTask): Promise<QueryResult> {
    if (this.#closed) return Promise.reject(new SiloError('FLEET_CLOSED', 'The fleet is closed; open it again to run queries.'));
    return new Promise<QueryResult>((resolve, reject) => {
      this.#queue.push({ id: this.#nextId++, task, resolve, reject });
      this.#dispatch();
    });
  }

  close(): void {
    this.#closed = true;
    for (const worker of this.#workers) worker.kill();
    for (const job of this.#queue.splice(0)) job.reject(new SiloError('FLEET_CLOSED', 'The fleet closed before the query ran.'));
  }

  #dispatch(): void {
    while (this.#queue.length > 0) {
      const worker = this.#pickWorker();
      if (!worker) return;
      worker.start(this.#queue.shift() as Job);
    }
  }

  /** An idle process first, then a new one, then the least loaded one with room in its pipeline. */
  #pickWorker(): Worker | undefined {
    let best: Worker | undefined;
    for (const worker of this.#workers) {
      if (worker.load === 0) return worker;
      if (worker.load < PIPELINE_DEPTH && (!best || worker.load < best.load)) best = worker;
    }
    if (this.#workers.size < this.#size) return this.#spawn();
    return best;
  }

  #spawn(): Worker {
    const worker = new Worker(
      () => this.#dispatch(),
      (gone, orphans) => {
        this.#workers.delete(gone);
        // Queries waiting behind the killed one did not run: they go first to another process.
        this.#queue.unshift(...orphans);
        if (!this.#closed) this.#dispatch();
        else for (const job of this.#queue.splice(0)) job.reject(new SiloError('FLEET_CLOSED', 'The fleet closed before the query ran.'));
      },
    );
    this.#workers.add(worker);
    return worker;
  }
}

class Worker {
  readonly #child: ChildProcess;
  /** Sent to the process, in order; the first one is running. */
  readonly #jobs: Job[] = [];
  #timer: NodeJS.Timeout | undefined;
  #dead = false;
  readonly #onReady: () => void;
  readonly #onGone: (worker: Worker, orphans: Job[]) => void;

  constructor(onReady: () => void, onGone: (worker: Worker, orphans: Job[]) => void) {
    this.#onReady = onReady;
    this.#onGone = onGone;
    // execArgv: [] keeps test runners' and TypeScript loaders' flags out of the child.
    this.#child = fork(HOST_PATH, [], { execArgv: [], serialization: 'advanced', stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    this.#child.on('message', (reply: Reply) => this.#finish(reply));
    this.#child.on('exit', (code, signal) => this.#gone(`query process exited (${signal ?? `code ${code}`})`));
    this.#child.on('error', (error) => this.#gone(error.message));
    refWhileBusy(this.#child, false);
  }

  get load(): number {
    return this.#dead ? Infinity : this.#jobs.length;
  }

  start(job: Job): void {
    this.#jobs.push(job);
    if (this.#jobs.length === 1) {
      refWhileBusy(this.#child, true);
      this.#armTimer();
    }
    const { task } = job;
    this.#child.send({
      id: job.id,
      path: task.path,
      sql: task.sql,
      args: task.args,
      readOnly: task.readOnly,
      maxRows: task.limits.maxRows,
      maxBytes: task.limits.maxBytes,
      busyTimeoutMs: task.busyTimeoutMs,
      maxDatabaseBytes: task.maxDatabaseBytes,
      script: task.script,
    });
  }

  kill(): void {
    this.#dead = true;
    this.#child.kill('SIGKILL');
  }

  /** The time limit applies to the query the process is running now. */
  #armTimer(): void {
    clearTimeout(this.#timer);
    const head = this.#jobs[0];
    this.#timer = head ? setTimeout(() => this.#timeout(), head.task.limits.timeoutMs) : undefined;
  }

  #finish(reply: Reply): void {
    const job = this.#jobs[0];
    if (!job || reply.id !== job.id) return;
    this.#jobs.shift();
    this.#armTimer();
    if (this.#jobs.length === 0) refWhileBusy(this.#child, false);
    if (reply.ok) job.resolve(reply.result);
    else if (reply.error.refusal) job.reject(refusalError(reply.error.refusal));
    else if (reply.error.sqliteCode === 'SQLITE_READONLY' && job.task.readOnly) {
      job.reject(
        new SiloError('QUERY_READ_ONLY', `This connection is read-only, so the statement was refused (${reply.error.message}). Switch to write mode to change data.`, {
          details: { sqliteCode: reply.error.sqliteCode },
        }),
      );
    } else {
      job.reject(
        new SiloError('QUERY_FAILED', `The query failed: ${reply.error.message}`, {
          details: { sqliteCode: reply.error.sqliteCode },
        }),
      );
    }
    this.#onReady();
  }

  #timeout(): void {
    const job = this.#jobs[0];
    if (!job) return;
    queryPoolCounters.kills++;
    this.kill();
    this.#retire();
    job.reject(
      new SiloError(
        'QUERY_TIMEOUT',
        `The query was stopped after ${job.task.limits.timeoutMs} ms. Add a LIMIT or a WHERE clause, or raise the time limit.`,
        { details: { timeoutMs: job.task.limits.timeoutMs } },
      ),
    );
  }

  #gone(reason: string): void {
    if (this.#dead && this.#jobs.length === 0) return;
    this.#dead = true;
    const job = this.#jobs[0];
    this.#retire();
    job?.reject(new SiloError('ENGINE_FAILURE', `The query could not finish: ${reason}.`));
  }

  /** Leaves the pool, handing back the queries that were waiting behind the running one. */
  #retire(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const orphans = this.#jobs.splice(0).slice(1);
    refWhileBusy(this.#child, false);
    this.#onGone(this, orphans);
  }

}
