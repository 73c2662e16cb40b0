import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { SiloError } from '../errors';
import type { QueryLimits } from '../config';
import { queryAborted, stopIfQueryAborted, type QueryResult, type SqlArgs } from '../engine';
import { refusalError, type Refusal } from './refusal';
import { refWhileBusy } from '../child-ref';
import { MEMORY_LIMIT_SIGNAL, memoryLimitFlags, memoryLimitMessage } from '../memory/memory-limit';

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
  /**
   * Sent in a message of its own: it was in a message of several when its process was killed
   * or died, and which of them ran away is only known once each runs alone.
   */
  readonly alone?: boolean;
  /** The caller's: once it fires the job is rejected at once and its work stopped (QueryPool#abort). */
  readonly signal?: AbortSignal | undefined;
}

/** Queries killed at their time limit or memory limit, in this process (all pools): for metrics (Fleet.stats). */
export const queryPoolCounters = { kills: 0, memoryKills: 0 };

const HOST_PATH = fileURLToPath(new URL('./query-host.mjs', import.meta.url));

/**
 * Messages sent to one process ahead of its current one, so the process never waits for a
 * round trip between queries. Small, so an interactive query queued behind another waits for a
 * few at most.
 */
const PIPELINE_DEPTH = 4;

/**
 * A process answering several queries of one message replies at least this often (and once it
 * holds FLUSH_BYTES of rows): each query's time limit is kept from the last reply, so a
 * runaway in the middle of a message is stopped at most this much late.
 */
const FLUSH_MS = 25;
const FLUSH_BYTES = 1024 * 1024;

/**
 * A query's time limit counts from when its process can run it: one still starting (a second
 * or more on a busy machine) must not make queries it never began report QUERY_TIMEOUT. A
 * process that has not said it is ready after this long is taken for one that cannot start.
 */
const START_TIMEOUT_MS = 30_000;

export interface QueryPoolOptions {
  /**
   * Queries per message, for fleet-wide work: one message and one reply for several instances
   * instead of a round trip each, which on two cores was a third of the work (ADR 33).
   */
  readonly batch?: number;
  /** Each process's memory limit (memory/memory-limit.ts); past it the query it runs fails. */
  readonly maxMemoryBytes?: number | undefined;
}

/**
 * A small pool of query host processes. A query that outlives its time limit gets its process
 * killed (SIGKILL: SQLite cannot be interrupted from JavaScript) and a fresh one takes its
 * place; queries that were queued on that process go to another one. The caller's process
 * never blocks on SQLite.
 *
 * A query whose abort signal fires is rejected at once with QUERY_ABORTED, and its work stops:
 * still in the pool's queue, it leaves it; running, its process is killed as at the time limit
 * (the other queries of its message run again elsewhere); sent to a process behind another
 * query, that process is killed once it comes to it. A write that may be aborted is sent only
 * to an idle process (#pickWorker), so that it is either waiting here or running when stopped.
 */
export class QueryPool {
  readonly #size: number;
  readonly #batch: number;
  readonly #maxMemoryBytes: number | undefined;
  readonly #workers = new Set<Worker>();
  readonly #queue: Job[] = [];
  #nextId = 1;
  #closed = false;
  #dispatchQueued = false;

  constructor(size: number, options: QueryPoolOptions = {}) {
    this.#size = size;
    this.#batch = Math.max(1, options.batch ?? 1);
    this.#maxMemoryBytes = options.maxMemoryBytes;
  }

  /** How many queries to keep in flight so that no process waits for its next message. */
  get saturation(): number {
    return this.#size * (this.#batch > 1 ? 2 * this.#batch : PIPELINE_DEPTH);
  }

  run(task: QueryTask, signal?: AbortSignal): Promise<QueryResult> {
    if (this.#closed) return Promise.reject(new SiloError('FLEET_CLOSED', 'The fleet is closed; open it again to run queries.'));
    return new Promise<QueryResult>((resolve, reject) => {
      stopIfQueryAborted(signal); // thrown in here, it rejects the promise
      this.#queue.push(this.#job(task, signal, resolve, reject));
      if (this.#batch === 1) {
        this.#dispatch();
      } else if (!this.#dispatchQueued) {
        // Callers start their next queries in a burst as answers arrive (mapUnordered): sent
        // once the burst is over, they share messages instead of going one by one.
        this.#dispatchQueued = true;
        queueMicrotask(() => {
          this.#dispatchQueued = false;
          this.#dispatch();
        });
      }
    });
  }

  /**
   * A job for `task` that listens to `signal` until it is settled, either way: one signal may
   * outlive many queries (a shell's, for all of a line's statements).
   */
  #job(task: QueryTask, signal: AbortSignal | undefined, resolve: Job['resolve'], reject: Job['reject']): Job {
    const id = this.#nextId++;
    if (!signal) return { id, task, resolve, reject };
    const abort = (): void => this.#abort(id, signal);
    const settled = (): void => signal.removeEventListener('abort', abort);
    signal.addEventListener('abort', abort, { once: true });
    return {
      id,
      task,
      signal,
      resolve: (result) => {
        settled();
        resolve(result);
      },
      reject: (error) => {
        settled();
        reject(error);
      },
    };
  }

  close(): void {
    this.#closed = true;
    for (const worker of this.#workers) worker.kill();
    for (const job of this.#queue.splice(0)) job.reject(new SiloError('FLEET_CLOSED', 'The fleet closed before the query ran.'));
  }

  #dispatch(): void {
    for (let first = this.#queue[0]; first; first = this.#queue[0]) {
      const worker = this.#pickWorker(first);
      if (!worker) return;
      worker.start(this.#nextMessage());
    }
  }

  /** Rejects the job of `id` at once, and stops its work wherever it is (see the class comment). */
  #abort(id: number, signal: AbortSignal): void {
    const queued = this.#queue.findIndex((job) => job.id === id);
    if (queued !== -1) {
      const [job] = this.#queue.splice(queued, 1);
      job?.reject(queryAborted(signal, 'It did not run.'));
      return;
    }
    for (const worker of this.#workers) if (worker.abort(id, signal)) return;
  }

  /**
   * The queue's first jobs that may share a message: up to the batch size, none of them alone,
   * all with the same time limit (the message's deadline is one for all of them).
   */
  #nextMessage(): Job[] {
    const first = this.#queue.shift() as Job;
    const jobs = [first];
    const limit = first.task.limits.timeoutMs;
    while (!first.alone && jobs.length < this.#batch) {
      const next = this.#queue[0];
      if (!next || next.alone || next.task.limits.timeoutMs !== limit) break;
      jobs.push(this.#queue.shift() as Job);
    }
    return jobs;
  }

  /**
   * An idle process first, then a new one, then, for a read, the least loaded one with room in
   * its pipeline. A write waits for an idle process: sent behind another query, it could run and
   * commit while its answer waits in the pipe, and then either run a second time (the process
   * stopped for a time limit or an abort of a query ahead of it, whose followers run again
   * elsewhere) or commit after its own abort was answered as "it did not run".
   */
  #pickWorker(first: Job): Worker | undefined {
    let best: Worker | undefined;
    const depth = this.#batch > 1 ? 2 : PIPELINE_DEPTH;
    for (const worker of this.#workers) {
      if (worker.load === 0) return worker;
      if (worker.load < depth && (!best || worker.load < best.load)) best = worker;
    }
    if (this.#workers.size < this.#size) return this.#spawn();
    return first.task.readOnly ? best : undefined;
  }

  #spawn(): Worker {
    const worker = new Worker(
      this.#maxMemoryBytes,
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
  /** The messages sent to the process, in order, each with its queries not answered yet; the first is running. */
  readonly #messages: Job[][] = [];
  #timer: NodeJS.Timeout | undefined;
  #dead = false;
  /** Whether the process has said it is ready (query-host.mjs, at start): time limits run from then. */
  #started = false;
  readonly #onReady: () => void;
  readonly #onGone: (worker: Worker, orphans: Job[]) => void;

  constructor(maxMemoryBytes: number | undefined, onReady: () => void, onGone: (worker: Worker, orphans: Job[]) => void) {
    this.#onReady = onReady;
    this.#onGone = onGone;
    // Our own execArgv only: test runners' and TypeScript loaders' flags stay out of the child.
    this.#child = fork(HOST_PATH, [], { execArgv: memoryLimitFlags(maxMemoryBytes), serialization: 'advanced', stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    this.#child.on('message', (message: { replies: Reply[] } | { ready: true }) => {
      if ('replies' in message) this.#finish(message.replies);
      else this.#begin();
    });
    this.#child.on('exit', (code, signal) => {
      if (signal === MEMORY_LIMIT_SIGNAL && maxMemoryBytes !== undefined) this.#overMemory(maxMemoryBytes);
      else this.#gone(`query process exited (${signal ?? `code ${code}`})`);
    });
    this.#child.on('error', (error) => this.#gone(error.message));
    refWhileBusy(this.#child, false);
  }

  /** Messages in flight. */
  get load(): number {
    return this.#dead ? Infinity : this.#messages.length;
  }

  start(jobs: Job[]): void {
    this.#messages.push(jobs);
    if (this.#messages.length === 1) {
      refWhileBusy(this.#child, true);
      this.#armTimer();
    }
    this.#child.send({
      tasks: jobs.map(({ id, task }) => ({
        id,
        path: task.path,
        sql: task.sql,
        args: task.args,
        readOnly: task.readOnly,
        maxRows: task.limits.maxRows,
        maxBytes: task.limits.maxBytes,
        busyTimeoutMs: task.busyTimeoutMs,
        maxDatabaseBytes: task.maxDatabaseBytes,
        script: task.script,
      })),
      flushMs: FLUSH_MS,
      flushBytes: FLUSH_BYTES,
    });
  }

  kill(): void {
    this.#dead = true;
    this.#child.kill('SIGKILL');
  }

  /**
   * The job of `id` was aborted: false when this process does not hold it. The one running now
   * is stopped with its process; one sent behind it is rejected at once, and its process is
   * stopped when it comes to it (#finish), unless it was answered by then.
   */
  abort(id: number, signal: AbortSignal): boolean {
    if (this.#messages[0]?.[0]?.id === id) {
      this.#stopRunning(signal);
      return true;
    }
    const job = this.#messages.flat().find((held) => held.id === id);
    job?.reject(queryAborted(signal, 'It did not run: it was still waiting for its query process.'));
    return job !== undefined;
  }

  /**
   * The time limit applies to the query the process is running now, which began at most
   * FLUSH_MS after the process last replied (query-host.mjs) when its message holds several.
   * Until the process is ready, the limit waits and the start-up has its own.
   */
  #armTimer(): void {
    clearTimeout(this.#timer);
    const head = this.#messages[0];
    const first = head?.[0];
    if (!first) this.#timer = undefined;
    else if (!this.#started) this.#timer = setTimeout(() => this.#notStarted(), START_TIMEOUT_MS);
    else this.#timer = setTimeout(() => this.#timeout(), first.task.limits.timeoutMs + (head.length > 1 ? FLUSH_MS : 0));
  }

  #begin(): void {
    this.#started = true;
    this.#armTimer();
  }

  #notStarted(): void {
    this.#gone(`query process did not start within ${START_TIMEOUT_MS / 1000} s`);
    this.#child.kill('SIGKILL');
  }

  #finish(replies: Reply[]): void {
    for (const reply of replies) {
      const head = this.#messages[0];
      const job = head?.[0];
      if (!head || !job || reply.id !== job.id) return;
      head.shift();
      if (head.length === 0) this.#messages.shift();
      settle(job, reply);
    }
    const next = this.#messages[0]?.[0];
    if (next?.signal?.aborted) return this.#stopRunning(next.signal);
    this.#armTimer();
    if (this.#messages.length === 0) refWhileBusy(this.#child, false);
    this.#onReady();
  }

  #timeout(): void {
    const job = this.#messages[0]?.[0];
    if (!job) return;
    queryPoolCounters.kills++;
    this.kill();
    const { timeoutMs } = job.task.limits;
    this.#lose(new SiloError('QUERY_TIMEOUT', `The query was stopped after ${timeoutMs} ms. Add a LIMIT or a WHERE clause, or raise the time limit.`, { details: { timeoutMs } }));
  }

  #overMemory(maxBytes: number): void {
    if (this.#dead && this.#messages.length === 0) return;
    this.#dead = true;
    queryPoolCounters.memoryKills++;
    this.#lose(new SiloError('QUERY_MEMORY_EXCEEDED', `The query was stopped: ${memoryLimitMessage(maxBytes)}. Select fewer or smaller values (a LIMIT, no huge blobs or strings), or raise SILO_QUERY_MAX_MEMORY_BYTES.`, { details: { maxMemoryBytes: maxBytes } }));
  }

  #gone(reason: string): void {
    if (this.#dead && this.#messages.length === 0) return;
    this.#dead = true;
    this.#lose(new SiloError('ENGINE_FAILURE', `The query could not finish: ${reason}.`));
  }

  /**
   * The process is gone while running its first message. Alone in it, the query is known to be
   * the one that ran away or brought the process down, and gets `error`; among several, which
   * one did is not known, so each runs again alone.
   */
  #lose(error: SiloError): void {
    const head = this.#messages[0] ?? [];
    if (head.length === 1) {
      const job = head[0] as Job;
      this.#retire();
      job.reject(error);
    } else {
      this.#retire(head.map((job) => ({ ...job, alone: true })));
    }
  }

  /**
   * The running query's signal fired: its process is killed, as at the time limit. The cause is
   * known, so the rest of its message runs again elsewhere as it was sent.
   */
  #stopRunning(signal: AbortSignal): void {
    const [job, ...rest] = this.#messages[0] ?? [];
    this.kill();
    this.#retire(rest);
    job?.reject(queryAborted(signal, 'Its query process was stopped while it ran; SQLite keeps nothing of an unfinished statement, so a write stopped this way changed nothing (unless it finished in that same instant).'));
  }

  /**
   * Leaves the pool, handing back the queries that were waiting behind the running one, and
   * `rerun` of the running message. Aborted ones are not handed back: they were answered.
   */
  #retire(rerun: readonly Job[] = []): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const [, ...waiting] = this.#messages.splice(0);
    const orphans = [...rerun, ...waiting.flat()].filter((job) => job.signal?.aborted !== true);
    refWhileBusy(this.#child, false);
    this.#onGone(this, orphans);
  }
}

function settle(job: Job, reply: Reply): void {
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
}
