import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { ExecuteResult, Row, Statement } from '../engine';

/** What the worker runs (off-thread-host.mjs); the kinds mirror its typedefs. */
export type OffThreadJob =
  | { kind: 'batch'; file: string; statements: readonly Statement[]; busyTimeoutMs: number; maxBytes?: number | undefined }
  | { kind: 'redact'; staged: string; dest: string; statements: readonly string[] };

type Reply = { id: number; ok: true; result: unknown } | { id: number; ok: false; error: { message: string; code: string | undefined } };

const HOST_PATH = fileURLToPath(new URL('./off-thread-host.mjs', import.meta.url));

/**
 * One worker thread for the process's SQLite work that must not hold the main thread (whole-list
 * writes, export rebuilds). One is enough: what it runs is already limited per tenant (turns,
 * download budgets), a second would compete for the same cores as the main thread, and jobs of
 * different tenants simply queue in order. Started on first use; unreferenced while idle, so it
 * never keeps a process alive; a worker that dies fails its jobs and is replaced on the next one.
 */
class OffThread {
  #worker: Worker | undefined;
  readonly #pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: unknown) => void }>();
  #nextId = 1;

  run(job: OffThreadJob): Promise<unknown> {
    const worker = this.#start();
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      if (this.#pending.size === 1) worker.ref();
      worker.postMessage({ id, job });
    });
  }

  #start(): Worker {
    if (this.#worker) return this.#worker;
    // No TypeScript loader is needed in the worker (plain .mjs), and none is inherited: a
    // loader would only slow its start.
    const worker = new Worker(HOST_PATH, { execArgv: [] });
    worker.unref();
    worker.on('message', (reply: Reply) => {
      const job = this.#pending.get(reply.id);
      if (!job) return;
      this.#pending.delete(reply.id);
      if (this.#pending.size === 0) worker.unref();
      if (reply.ok) job.resolve(reply.result);
      else job.reject(Object.assign(new Error(reply.error.message), { code: reply.error.code }));
    });
    const fail = (error: unknown): void => {
      if (this.#worker === worker) this.#worker = undefined;
      const jobs = [...this.#pending.values()];
      this.#pending.clear();
      for (const job of jobs) job.reject(error instanceof Error ? error : new Error(`The SQLite worker thread stopped (${String(error)}).`));
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`The SQLite worker thread exited (${code}).`)));
    this.#worker = worker;
    return worker;
  }
}

let shared: OffThread | undefined;

/** Runs a job on the process's SQLite worker thread. */
export function runOffThread(job: OffThreadJob): Promise<unknown> {
  shared ??= new OffThread();
  return shared.run(job);
}

/**
 * A batch's results as the main thread's connection returns them: a blob crosses the thread
 * boundary as a Uint8Array and becomes a Buffer again.
 */
export function batchResults(value: unknown): ExecuteResult[] {
  const results = value as ExecuteResult[];
  for (const result of results) {
    for (const row of result.rows as Row[]) {
      for (const [column, cell] of Object.entries(row)) {
        if (cell instanceof Uint8Array && !Buffer.isBuffer(cell)) row[column] = Buffer.from(cell.buffer, cell.byteOffset, cell.byteLength);
      }
    }
  }
  return results;
}
