import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { SiloError } from '../errors';
import type { ImportSource } from '../engine';
import type { TenantSchema } from '../schema';
import type { ImportJob, ImportReply } from './import-thread-host';

/**
 * From sources (tests, `npm start`) the host is TypeScript and starts under tsx with the
 * workspace's source condition; a build ships it as import-thread-host.mjs beside the bundle.
 */
const FROM_SOURCE = import.meta.url.endsWith('.ts');
const HOST_URL = new URL(FROM_SOURCE ? './import-thread-host.ts' : './import-thread-host.mjs', import.meta.url);
const HOST_EXEC_ARGV = FROM_SOURCE ? ['--conditions=@silo/source', '--import', import.meta.resolve('tsx')] : [];

/**
 * Validates and migrates a private copy of an import (ImportValidator) on a worker thread of
 * its own, so the server that received the file keeps answering everyone else meanwhile. One
 * thread per process, started on first use, unreferenced while idle; imports queue on it in
 * order. A thread that dies fails its imports and is replaced on the next one.
 */
class ImportThread {
  #worker: Worker | undefined;
  readonly #pending = new Map<number, { resolve: (report: { fromVersion: number; toVersion: number }) => void; reject: (error: unknown) => void }>();
  #nextId = 1;

  validate(file: string, schema: TenantSchema, source: ImportSource): Promise<{ fromVersion: number; toVersion: number }> {
    const worker = this.#start();
    const job: ImportJob = { id: this.#nextId++, file, schema, source };
    return new Promise((resolve, reject) => {
      this.#pending.set(job.id, { resolve, reject });
      if (this.#pending.size === 1) worker.ref();
      worker.postMessage(job);
    });
  }

  #start(): Worker {
    if (this.#worker) return this.#worker;
    const worker = new Worker(fileURLToPath(HOST_URL), { execArgv: HOST_EXEC_ARGV });
    worker.unref();
    worker.on('message', (reply: ImportReply) => {
      const job = this.#pending.get(reply.id);
      if (!job) return;
      this.#pending.delete(reply.id);
      if (this.#pending.size === 0) worker.unref();
      if (reply.ok) job.resolve(reply.report);
      else job.reject(errorOf(reply.error));
    });
    const fail = (error: unknown): void => {
      if (this.#worker === worker) this.#worker = undefined;
      const jobs = [...this.#pending.values()];
      this.#pending.clear();
      for (const job of jobs) job.reject(new SiloError('ENGINE_FAILURE', `The import could not be checked: its thread stopped (${error instanceof Error ? error.message : String(error)}).`));
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`exit code ${code}`)));
    this.#worker = worker;
    return worker;
  }
}

/** The thread's error as the main thread would have raised it: the refusal again, or an error with SQLite's code (disk full). */
function errorOf(error: Extract<ImportReply, { ok: false }>['error']): Error {
  if (error.rejected !== undefined) return new SiloError('IMPORT_REJECTED', error.message, { details: { reason: error.rejected } });
  return Object.assign(new Error(error.message), error.code === undefined ? {} : { code: error.code });
}

let shared: ImportThread | undefined;

/** See ImportThread. */
export function validateImport(file: string, schema: TenantSchema, source: ImportSource): Promise<{ fromVersion: number; toVersion: number }> {
  shared ??= new ImportThread();
  return shared.validate(file, schema, source);
}
