import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { SiloError } from '../errors';
import type { MigrationOutcome } from '../engine';
import type { PragmaOptions } from '../sqlite';
import type { Migration } from '../schema';

export interface MigrateTask {
  readonly path: string;
  readonly migrations: readonly Migration[];
  readonly dryRun: boolean;
  /** The instance's size cap (size-cap.ts): the migration's connection sets it too. */
  readonly maxBytes: number | undefined;
  readonly pragmas: PragmaOptions;
}

/** A migration done on a thread, with the file's size after it (WAL included). */
export interface PooledMigration extends MigrationOutcome {
  readonly sizeBytes: number;
}

type Reply =
  | { id: number; ok: true; from: number; to: number; sizeBytes: number; sizeBefore: number; ms: number }
  | { id: number; ok: false; error: { message: string; code: string | null } };

interface Job {
  readonly id: number;
  readonly task: MigrateTask;
  readonly resolve: (outcome: PooledMigration) => void;
  readonly reject: (error: unknown) => void;
}

const THREAD_PATH = fileURLToPath(new URL('./migrate-thread.mjs', import.meta.url));

/**
 * Tasks sent to a thread ahead of its current one, so it never waits for a round trip between
 * instances. Two: a migration is milliseconds of disk work, the round trip microseconds.
 */
const PIPELINE_DEPTH = 2;

/**
 * When a thread may hold a file alone for its migration (ADR 41): readers that open it meanwhile
 * wait in their busy handler, so only for a migration expected to end within ALONE_MAX_MS. The
 * expectation scales the slowest of the pool's last RECENT migrations (milliseconds per byte) to
 * the file's size; until RECENT have finished, and while a slow one is among them, files are
 * shared. Migration SQL may be heavy on few rows, so the file's size alone says too little.
 * Over ALONE_MAX_BYTES a file is always shared: an index or a table rebuilt over 1 MiB takes
 * milliseconds, over a large tenant seconds.
 */
const ALONE_MAX_MS = 25;
const ALONE_MAX_BYTES = 1024 * 1024;
const RECENT = 8;
/** Below this size a migration takes about as long whatever the size: rates of tiny files would look too fast. */
const RATE_FLOOR_BYTES = 64 * 1024;

/** The pool's recent migration rates, and the file size up to which the next may hold its file alone. */
class AloneAllowance {
  readonly #rates: number[] = [];
  readonly #maxMs: number;

  constructor(maxMs: number) {
    this.#maxMs = maxMs;
  }

  note(ms: number, sizeBytes: number): void {
    this.#rates.push(ms / Math.max(sizeBytes, RATE_FLOOR_BYTES));
    if (this.#rates.length > RECENT) this.#rates.shift();
  }

  /** 0: share every file. */
  get upToBytes(): number {
    if (this.#rates.length < RECENT) return 0;
    const bytes = this.#maxMs / Math.max(...this.#rates);
    return bytes < RATE_FLOOR_BYTES ? 0 : Math.min(ALONE_MAX_BYTES, Math.floor(bytes));
  }
}

/**
 * Worker threads that migrate tenant files, for fleet-wide migrations on local files. SQLite
 * work is synchronous, so one thread migrates one file at a time; several threads overlap
 * their CPU work and their fsyncs. Migrations are the app's own SQL, trusted and bounded by
 * the busy timeout, so a thread never needs killing mid-statement (queries do: ADR 5).
 * Threads start on first use and keep nothing alive while idle.
 */
export class MigratePool {
  readonly size: number;
  readonly #threads = new Set<PoolThread>();
  readonly #queue: Job[] = [];
  readonly #alone: AloneAllowance;
  #nextId = 1;
  #closed = false;

  /** `aloneMaxMs`: how long a file held alone may be expected to take (ALONE_MAX_MS). */
  constructor(size: number, options: { aloneMaxMs?: number } = {}) {
    this.size = size;
    this.#alone = new AloneAllowance(options.aloneMaxMs ?? ALONE_MAX_MS);
  }

  run(task: MigrateTask): Promise<PooledMigration> {
    if (this.#closed) return Promise.reject(new SiloError('FLEET_CLOSED', 'The fleet is closed; open it again to migrate.'));
    return new Promise<PooledMigration>((resolve, reject) => {
      this.#queue.push({ id: this.#nextId++, task, resolve, reject });
      this.#dispatch();
    });
  }

  /** Starts every thread now, so their start-up overlaps the caller's own work. */
  warm(): void {
    while (!this.#closed && this.#threads.size < this.size) this.#spawn();
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const job of this.#queue.splice(0)) job.reject(new SiloError('FLEET_CLOSED', 'The fleet closed before the migration ran.'));
    await Promise.all([...this.#threads].map((thread) => thread.stop()));
  }

  #dispatch(): void {
    while (this.#queue.length > 0) {
      const thread = this.#pick();
      if (!thread) return;
      thread.start(this.#queue.shift() as Job);
    }
  }

  /** An idle thread first, then a new one, then the least loaded one with room in its pipeline. */
  #pick(): PoolThread | undefined {
    let best: PoolThread | undefined;
    for (const thread of this.#threads) {
      if (thread.load === 0) return thread;
      if (thread.load < PIPELINE_DEPTH && (!best || thread.load < best.load)) best = thread;
    }
    if (this.#threads.size < this.size) return this.#spawn();
    return best;
  }

  #spawn(): PoolThread {
    const thread = new PoolThread(
      this.#alone,
      () => this.#dispatch(),
      (gone) => {
        this.#threads.delete(gone);
        if (!this.#closed) this.#dispatch();
      },
    );
    this.#threads.add(thread);
    return thread;
  }
}

class PoolThread {
  readonly #worker: Worker;
  /** Sent to the thread, in order; the first one is running. */
  readonly #jobs: Job[] = [];
  readonly #alone: AloneAllowance;
  #stopping = false;

  constructor(alone: AloneAllowance, onReady: () => void, onGone: (thread: PoolThread) => void) {
    this.#alone = alone;
    // execArgv: [] keeps test runners' and TypeScript loaders' flags out of the thread.
    this.#worker = new Worker(THREAD_PATH, { execArgv: [] });
    this.#worker.unref();
    this.#worker.on('message', (reply: Reply) => {
      this.#finish(reply);
      onReady();
    });
    // A thread that dies takes its tasks with it: they fail (the next run retries them; the
    // file is the truth, so a commit that happened before is found up to date).
    const fail = (reason: string): void => {
      for (const job of this.#jobs.splice(0)) job.reject(new SiloError('ENGINE_FAILURE', `The migration thread stopped: ${reason}.`));
      onGone(this);
    };
    this.#worker.on('error', (error) => fail(error.message));
    this.#worker.on('exit', (code) => {
      if (!this.#stopping) fail(`exit code ${code}`);
    });
  }

  get load(): number {
    return this.#jobs.length;
  }

  start(job: Job): void {
    this.#jobs.push(job);
    if (this.#jobs.length === 1) this.#worker.ref();
    const { task } = job;
    this.#worker.postMessage({
      id: job.id,
      path: task.path,
      migrations: task.migrations.map(({ version, sql }) => ({ version, sql })),
      dryRun: task.dryRun,
      maxBytes: task.maxBytes,
      pragmas: task.pragmas,
      aloneUpToBytes: this.#alone.upToBytes,
    });
  }

  async stop(): Promise<void> {
    this.#stopping = true;
    for (const job of this.#jobs.splice(0)) job.reject(new SiloError('FLEET_CLOSED', 'The fleet closed before the migration finished.'));
    await this.#worker.terminate();
  }

  #finish(reply: Reply): void {
    const job = this.#jobs[0];
    if (!job || reply.id !== job.id) return;
    this.#jobs.shift();
    if (this.#jobs.length === 0) this.#worker.unref();
    if (reply.ok) {
      if (!job.task.dryRun) this.#alone.note(reply.ms, reply.sizeBefore);
      job.resolve({ from: reply.from, to: reply.to, sizeBytes: reply.sizeBytes });
    }
    else job.reject(Object.assign(new Error(reply.error.message), reply.error.code ? { code: reply.error.code } : {}));
  }
}
