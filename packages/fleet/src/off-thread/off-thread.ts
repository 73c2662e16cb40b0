import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { ExecuteResult, Row, Statement } from '../engine';
import { HelperChannel, workerEndpoint } from '../helper-channel';

/** What the worker runs (off-thread-host.mjs); the kinds mirror its typedefs. */
export type OffThreadJob =
  | { kind: 'batch'; file: string; statements: readonly Statement[]; busyTimeoutMs: number; maxBytes?: number | undefined }
  | { kind: 'redact'; staged: string; dest: string; statements: readonly string[] };

const HOST_PATH = fileURLToPath(new URL('./off-thread-host.mjs', import.meta.url));

/**
 * One worker thread for the process's SQLite work that must not hold the main thread (whole-list
 * writes, export rebuilds). One is enough: what it runs is already limited per tenant (turns,
 * download budgets), a second would compete for the same cores as the main thread, and jobs of
 * different tenants simply queue in order. A worker that dies fails its jobs and is replaced on
 * the next one (HelperChannel).
 */
let shared: HelperChannel<OffThreadJob, { message: string; code: string | undefined }> | undefined;

/** Runs a job on the process's SQLite worker thread. */
export function runOffThread(job: OffThreadJob): Promise<unknown> {
  shared ??= new HelperChannel({
    // No TypeScript loader is needed in the worker (plain .mjs), and none is inherited: a
    // loader would only slow its start.
    start: () => workerEndpoint(new Worker(HOST_PATH, { execArgv: [] })),
    failed: (error) => Object.assign(new Error(error.message), { code: error.code }),
    lost: ({ reject }, end) => reject(end.error instanceof Error ? end.error : new Error(`The SQLite worker thread stopped (${end.reason}).`)),
  });
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
