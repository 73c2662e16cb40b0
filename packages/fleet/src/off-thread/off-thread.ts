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
type Jobs = Map<number, { resolve: (value: unknown) => void; reject: (error: unknown) => void }>;

class OffThread {
  #current: { readonly worker: Worker; readonly pending: Jobs } | undefined;
  #nextId = 1;

  run(job: OffThreadJob): Promise<unknown> {
    const { worker, pending } = this.#start();
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      pending.set(id, { resolve, reject });
      if (pending.size === 1) worker.ref();
      worker.postMessage({ id, job });
    });
  }

  #start(): { readonly worker: Worker; readonly pending: Jobs } {
    if (this.#current) return this.#current;
    // No TypeScript loader is needed in the worker (plain .mjs), and none is inherited: a
    // loader would only slow its start.
    const worker = new Worker(HOST_PATH, { execArgv: [] });
    const pending: Jobs = new Map();
    const current = { worker, pending };
    worker.unref();
    worker.on('message', (reply: Reply) => {
      const job = pending.get(reply.id);
      pending.delete(reply.id);
      if (pending.size === 0) worker.unref();
      if (!job) return;
      if (reply.ok) job.resolve(reply.result);
      else job.reject(Object.assign(new Error(reply.error.message), { code: reply.error.code }));
    });
    // This worker's events settle this worker's jobs only: its 'exit' may come after a new
    // worker took its place (after its 'error'), and must not fail the new one's jobs.
    const fail = (error: unknown): void => {
      if (this.#current === current) this.#current = undefined;
      const jobs = [...pending.values()];
      pending.clear();
      worker.unref();
      for (const job of jobs) job.reject(error instanceof Error ? error : new Error(`The SQLite worker thread stopped (${String(error)}).`));
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`The SQLite worker thread exited (${code}).`)));
    this.#current = current;
    return current;
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
