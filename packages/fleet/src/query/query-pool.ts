import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { SiloError } from '../errors';
import type { QueryLimits } from '../config';
import type { QueryResult, SqlArgs } from '../engine';

export interface QueryTask {
  readonly path: string;
  readonly sql: string;
  readonly args?: SqlArgs | undefined;
  readonly readOnly: boolean;
  readonly limits: QueryLimits;
  readonly busyTimeoutMs: number;
}

type Reply =
  | { id: number; ok: true; result: QueryResult }
  | { id: number; ok: false; error: { message: string; sqliteCode: string | null } };

interface Job {
  readonly id: number;
  readonly task: QueryTask;
  readonly resolve: (result: QueryResult) => void;
  readonly reject: (error: unknown) => void;
}

const HOST_PATH = fileURLToPath(new URL('./query-host.mjs', import.meta.url));

/**
 * A small pool of query host processes. A query that outlives its time limit gets its process
 * killed (SIGKILL: SQLite cannot be interrupted from JavaScript) and a fresh one takes its
 * place; the caller's process never blocks on SQLite.
 */
export class QueryPool {
  readonly #size: number;
  readonly #idle: Worker[] = [];
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
      const worker = this.#idle.pop() ?? (this.#workers.size < this.#size ? this.#spawn() : undefined);
      if (!worker) return;
      worker.start(this.#queue.shift() as Job);
    }
  }

  #spawn(): Worker {
    const worker = new Worker(
      (w) => {
        this.#idle.push(w);
        this.#dispatch();
      },
      (w) => {
        this.#workers.delete(w);
        const index = this.#idle.indexOf(w);
        if (index >= 0) this.#idle.splice(index, 1);
        if (!this.#closed) this.#dispatch();
      },
    );
    this.#workers.add(worker);
    return worker;
  }
}

class Worker {
  readonly #child: ChildProcess;
  #job: Job | undefined;
  #timer: NodeJS.Timeout | undefined;
  #dead = false;

  constructor(
    private readonly onIdle: (worker: Worker) => void,
    private readonly onGone: (worker: Worker) => void,
  ) {
    // execArgv: [] keeps test runners' and TypeScript loaders' flags out of the child.
    this.#child = fork(HOST_PATH, [], { execArgv: [], serialization: 'advanced', stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    this.#child.on('message', (reply: Reply) => this.#finish(reply));
    this.#child.on('exit', (code, signal) => this.#gone(`query process exited (${signal ?? `code ${code}`})`));
    this.#child.on('error', (error) => this.#gone(error.message));
    this.#setRef(false);
  }

  start(job: Job): void {
    this.#job = job;
    this.#setRef(true);
    const { task } = job;
    this.#timer = setTimeout(() => this.#timeout(), task.limits.timeoutMs);
    this.#child.send({
      id: job.id,
      path: task.path,
      sql: task.sql,
      args: task.args,
      readOnly: task.readOnly,
      maxRows: task.limits.maxRows,
      maxBytes: task.limits.maxBytes,
      busyTimeoutMs: task.busyTimeoutMs,
    });
  }

  kill(): void {
    this.#dead = true;
    this.#child.kill('SIGKILL');
  }

  #finish(reply: Reply): void {
    const job = this.#job;
    if (!job || reply.id !== job.id) return;
    this.#settle();
    if (reply.ok) job.resolve(reply.result);
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
    this.onIdle(this);
  }

  #timeout(): void {
    const job = this.#job;
    if (!job) return;
    this.#settle();
    this.kill();
    this.onGone(this);
    job.reject(
      new SiloError(
        'QUERY_TIMEOUT',
        `The query was stopped after ${job.task.limits.timeoutMs} ms. Add a LIMIT or a WHERE clause, or raise the time limit.`,
        { details: { timeoutMs: job.task.limits.timeoutMs } },
      ),
    );
  }

  #gone(reason: string): void {
    if (this.#dead && !this.#job) return;
    this.#dead = true;
    const job = this.#job;
    this.#settle();
    this.onGone(this);
    job?.reject(new SiloError('ENGINE_FAILURE', `The query could not finish: ${reason}.`));
  }

  #settle(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#job = undefined;
    this.#setRef(false);
  }

  /** An idle pool must not keep a CLI process alive. */
  #setRef(busy: boolean): void {
    const channel = this.#child.channel as { ref(): void; unref(): void } | null | undefined;
    if (busy) {
      this.#child.ref();
      channel?.ref();
    } else {
      this.#child.unref();
      channel?.unref();
    }
  }
}
