import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { SiloError } from '../errors';
import type { ImportSource } from '../engine';
import type { TenantSchema } from '../schema';
import type { CheckJob, CheckReply } from './check-thread-host';

/**
 * From sources (tests, `npm start`) the host is TypeScript and starts under tsx with the
 * workspace's source condition; a build ships it as check-thread-host.mjs beside the bundle.
 */
const FROM_SOURCE = import.meta.url.endsWith('.ts');
const HOST_URL = new URL(FROM_SOURCE ? './check-thread-host.ts' : './check-thread-host.mjs', import.meta.url);
const HOST_EXEC_ARGV = FROM_SOURCE ? ['--conditions=@silo/source', '--import', import.meta.resolve('tsx')] : [];

type Job = CheckJob extends infer J ? (J extends CheckJob ? Omit<J, 'id'> : never) : never;

/**
 * SQLite file checks (check-thread-host.ts) on a worker thread of their own, so the server
 * doing them keeps answering everyone else meanwhile. One thread per process, started on first
 * use, unreferenced while idle; checks queue on it in order. A thread that dies fails its
 * checks and is replaced on the next one.
 */
class CheckThread {
  #worker: Worker | undefined;
  readonly #pending = new Map<number, { resolve: (result: unknown) => void; reject: (error: unknown) => void }>();
  #nextId = 1;

  run(job: Job): Promise<unknown> {
    const worker = this.#start();
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      if (this.#pending.size === 1) worker.ref();
      worker.postMessage({ ...job, id });
    });
  }

  #start(): Worker {
    if (this.#worker) return this.#worker;
    const worker = new Worker(fileURLToPath(HOST_URL), { execArgv: HOST_EXEC_ARGV });
    worker.unref();
    worker.on('message', (reply: CheckReply) => {
      const job = this.#pending.get(reply.id);
      if (!job) return;
      this.#pending.delete(reply.id);
      if (this.#pending.size === 0) worker.unref();
      if (reply.ok) job.resolve(reply.result);
      else job.reject(errorOf(reply.error));
    });
    const fail = (error: unknown): void => {
      if (this.#worker === worker) this.#worker = undefined;
      const jobs = [...this.#pending.values()];
      this.#pending.clear();
      for (const job of jobs) job.reject(new SiloError('ENGINE_FAILURE', `The file could not be checked: its thread stopped (${error instanceof Error ? error.message : String(error)}).`));
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`exit code ${code}`)));
    this.#worker = worker;
    return worker;
  }
}

/** The thread's error as the main thread would have raised it: the refusal again, or an error with SQLite's code (disk full). */
function errorOf(error: Extract<CheckReply, { ok: false }>['error']): Error {
  if (error.rejected !== undefined) return new SiloError('IMPORT_REJECTED', error.message, { details: { reason: error.rejected } });
  return Object.assign(new Error(error.message), error.code === undefined ? {} : { code: error.code });
}

let shared: CheckThread | undefined;

function thread(): CheckThread {
  shared ??= new CheckThread();
  return shared;
}

/** ImportValidator.validateAndMigrate of a private copy, on the check thread. */
export async function validateImport(file: string, schema: TenantSchema, source: ImportSource): Promise<{ fromVersion: number; toVersion: number }> {
  return (await thread().run({ kind: 'validate-import', file, schema, source })) as { fromVersion: number; toVersion: number };
}

/** SQLite's integrity check of a file (integrityOfFile), on the check thread: its findings, none when sound. */
export async function checkIntegrity(file: string): Promise<string[]> {
  return (await thread().run({ kind: 'integrity', file })) as string[];
}
