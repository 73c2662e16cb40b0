import { fork } from 'node:child_process';
import { SiloError } from '../errors';
import type { ImportSource } from '../engine';
import { HelperChannel, processEndpoint, type PendingJob } from '../helper-channel';
import { MEMORY_LIMIT_SIGNAL, memoryLimitFlags, memoryLimitMessage } from '../memory/memory-limit';
import type { TenantSchema } from '../schema';
import { childModulePath, sourceExecArgv } from '../source-mode';
import type { CheckJob, CheckReply } from './check-process-host';
import { importRejected } from './sqlite-import';

const HOST_PATH = childModulePath(import.meta.url, 'check-process-host');

type CheckFailure = Extract<CheckReply, { ok: false }>['error'];

/**
 * One child process that checks SQLite files (check-process-host.ts), so that the server doing
 * the check keeps answering everyone else, and a file that takes more memory to read than
 * processes running tenant SQL may have is refused rather than served from the server's memory.
 * Checks queue on it in order; a process that ends fails only its own checks (HelperChannel).
 */
function checkProcess(maxMemoryBytes: number | undefined): HelperChannel<CheckJob, CheckFailure> {
  return new HelperChannel<CheckJob, CheckFailure>({
    start: () =>
      processEndpoint(
        fork(HOST_PATH, [], { execArgv: [...sourceExecArgv(import.meta.url), ...memoryLimitFlags(maxMemoryBytes)], serialization: 'advanced', stdio: ['ignore', 'ignore', 'inherit', 'ipc'] }),
      ),
    failed: errorOf,
    lost: (check, end) => {
      if (end.signal === MEMORY_LIMIT_SIGNAL && maxMemoryBytes !== undefined) overMemory(check, maxMemoryBytes);
      else check.reject(new SiloError('ENGINE_FAILURE', `The file could not be checked: its process stopped (${end.reason}).`));
    },
  });
}

/** A check that took its process past the memory limit: an import is refused, an integrity check finds the file unreadable. */
function overMemory(check: PendingJob<CheckJob>, maxBytes: number): void {
  const reason = `${memoryLimitMessage(maxBytes, 'reading it')} (SILO_QUERY_MAX_MEMORY_BYTES)`;
  if (check.job.kind === 'validate-import') check.reject(importRejected(reason));
  else check.resolve([`the file could not be checked: ${reason}`]);
}

/** The process's error as the main thread would have raised it: the refusal again, or an error with SQLite's code (disk full). */
function errorOf(error: CheckFailure): Error {
  if (error.rejected !== undefined) return new SiloError('IMPORT_REJECTED', error.message, { details: { reason: error.rejected } });
  return Object.assign(new Error(error.message), error.code === undefined ? {} : { code: error.code });
}

/** One check process per memory limit (a process's limit is fixed when it starts). */
const processes = new Map<number | undefined, HelperChannel<CheckJob, CheckFailure>>();

function checks(maxMemoryBytes: number | undefined): HelperChannel<CheckJob, CheckFailure> {
  let found = processes.get(maxMemoryBytes);
  if (!found) processes.set(maxMemoryBytes, (found = checkProcess(maxMemoryBytes)));
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
