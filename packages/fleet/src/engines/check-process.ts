import { fork, type ChildProcess } from 'node:child_process';
import { refWhileBusy } from '../child-ref';
import { SiloError } from '../errors';
import type { ImportSource } from '../engine';
import { MEMORY_LIMIT_SIGNAL, memoryLimitFlags, memoryLimitMessage } from '../memory/memory-limit';
import type { TenantSchema } from '../schema';
import { childModulePath, sourceExecArgv } from '../source-mode';
import type { CheckJob, CheckReply } from './check-process-host';
import { importRejected } from './sqlite-import';

const HOST_PATH = childModulePath(import.meta.url, 'check-process-host');

interface Pending {
  readonly job: CheckJob;
  readonly resolve: (result: unknown) => void;
  readonly reject: (error: unknown) => void;
}

/**
 * One child process that checks SQLite files (check-process-host.ts), so that the server doing
 * the check keeps answering everyone else, and a file that takes more memory to read than
 * processes running tenant SQL may have is refused rather than served from the server's memory.
 * Started on first use and kept, unreferenced while idle; checks queue on it in order. A process
 * that ends fails only its own checks, and the next check starts another.
 */
class CheckProcess {
  #current: { readonly child: ChildProcess; readonly pending: Map<number, Pending> } | undefined;
  #nextId = 1;

  constructor(private readonly maxMemoryBytes: number | undefined) {}

  run(job: CheckJob): Promise<unknown> {
    const { child, pending } = this.#start();
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      pending.set(id, { job, resolve, reject });
      if (pending.size === 1) refWhileBusy(child, true);
      child.send({ id, job });
    });
  }

  #start(): { child: ChildProcess; pending: Map<number, Pending> } {
    if (this.#current) return this.#current;
    const child = fork(HOST_PATH, [], { execArgv: [...sourceExecArgv(import.meta.url), ...memoryLimitFlags(this.maxMemoryBytes)], serialization: 'advanced', stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    const pending = new Map<number, Pending>();
    const current = { child, pending };
    refWhileBusy(child, false);
    child.on('message', (reply: CheckReply) => {
      const check = pending.get(reply.id);
      pending.delete(reply.id);
      if (pending.size === 0) refWhileBusy(child, false);
      if (!check) return;
      if (reply.ok) check.resolve(reply.result);
      else check.reject(errorOf(reply.error));
    });
    // Events of this child settle this child's checks only, whatever child is current by then.
    const ended = (signal: NodeJS.Signals | null, reason: string): void => {
      if (this.#current === current) this.#current = undefined;
      const checks = [...pending.values()];
      pending.clear();
      refWhileBusy(child, false);
      for (const check of checks) {
        if (signal === MEMORY_LIMIT_SIGNAL && this.maxMemoryBytes !== undefined) overMemory(check, this.maxMemoryBytes);
        else check.reject(new SiloError('ENGINE_FAILURE', `The file could not be checked: its process stopped (${reason}).`));
      }
    };
    child.on('exit', (code, signal) => ended(signal, signal ?? `exit code ${code}`));
    child.on('error', (error) => ended(null, error.message));
    this.#current = current;
    return current;
  }
}

/** A check that took its process past the memory limit: an import is refused, an integrity check finds the file unreadable. */
function overMemory(check: Pending, maxBytes: number): void {
  const reason = `reading it ${memoryLimitMessage(maxBytes)} (SILO_QUERY_MAX_MEMORY_BYTES)`;
  if (check.job.kind === 'validate-import') check.reject(importRejected(reason));
  else check.resolve([`the file could not be checked: ${reason}`]);
}

/** The process's error as the main thread would have raised it: the refusal again, or an error with SQLite's code (disk full). */
function errorOf(error: Extract<CheckReply, { ok: false }>['error']): Error {
  if (error.rejected !== undefined) return new SiloError('IMPORT_REJECTED', error.message, { details: { reason: error.rejected } });
  return Object.assign(new Error(error.message), error.code === undefined ? {} : { code: error.code });
}

const processes = new Map<number | undefined, CheckProcess>();

function checks(maxMemoryBytes: number | undefined): CheckProcess {
  let found = processes.get(maxMemoryBytes);
  if (!found) processes.set(maxMemoryBytes, (found = new CheckProcess(maxMemoryBytes)));
  return found;
}

/** ImportValidator.validateAndMigrate of a private copy, in the check process. */
export async function validateImport(file: string, schema: TenantSchema, source: ImportSource, maxMemoryBytes: number | undefined): Promise<{ fromVersion: number; toVersion: number }> {
  return (await checks(maxMemoryBytes).run({ kind: 'validate-import', file, schema, source })) as { fromVersion: number; toVersion: number };
}

/** SQLite's integrity check of a file (integrityOfFile), in the check process: its findings, none when sound. */
export async function checkIntegrity(file: string, maxMemoryBytes: number | undefined): Promise<string[]> {
  return (await checks(maxMemoryBytes).run({ kind: 'integrity', file })) as string[];
}
