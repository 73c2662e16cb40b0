import { fork } from 'node:child_process';
import { statSync } from 'node:fs';
import { SiloError } from '../errors';
import type { ImportSource } from '../engine';
import { formatDuration } from '../format';
import { HelperChannel, processEndpoint, type PendingJob } from '../helper-channel';
import { MEMORY_LIMIT_SIGNAL, memoryLimitFlags, memoryLimitMessage } from '../memory/memory-limit';
import type { TenantSchema } from '../schema';
import { CHECK_TIMEOUT_DEFAULT_SEC } from '../settings/table';
import { childModulePath, sourceExecArgv } from '../source-mode';
import type { CheckJob, CheckReply } from './check-process-host';
import { importRejected } from './sqlite-import';

const HOST_PATH = childModulePath(import.meta.url, 'check-process-host');

type CheckFailure = Extract<CheckReply, { ok: false }>['error'];

/** A check as queued here: the job the process runs, and the base of its time limit (SILO_CHECK_TIMEOUT_SEC), which the process ignores. */
type QueuedCheck = CheckJob & { readonly timeoutSec: number };

const GIB = 1024 * 1024 * 1024;
/** Node fires a timer of more than 2^31 - 1 ms at once. */
const LONGEST_TIMER_MS = 2 ** 31 - 1;

/**
 * How long a check of a file of `fileBytes` may run: `timeoutSec`, plus as much again per GiB.
 * Checking is linear in the file's size (every page is read, every index entry looked up), so
 * a fixed limit would either refuse large sound files or let a small crafted one run for long.
 */
export function checkTimeLimitMs(fileBytes: number, timeoutSec: number): number {
  return Math.min(LONGEST_TIMER_MS, Math.round(timeoutSec * 1000 * (1 + fileBytes / GIB)));
}

/** What a check reads: the file and its WAL (an instance's, for `doctor --deep`). */
function checkedBytes(file: string): number {
  const size = (name: string): number => statSync(name, { throwIfNoEntry: false })?.size ?? 0;
  return size(file) + size(`${file}-wal`);
}

/**
 * One child process that checks SQLite files (check-process-host.ts), so that the server doing
 * the check keeps answering everyone else, and a file that takes more memory to read than
 * processes running tenant SQL may have is refused rather than served from the server's memory.
 * Checks queue on it in order; a process that ends fails only its own checks (HelperChannel),
 * and one whose check runs past its time limit is killed, so that the checks queued behind it
 * (other tenants' imports, `doctor`) go on in a new one.
 */
function checkProcess(maxMemoryBytes: number | undefined): HelperChannel<QueuedCheck, CheckFailure> {
  return new HelperChannel<QueuedCheck, CheckFailure>({
    start: () =>
      processEndpoint(
        fork(HOST_PATH, [], { execArgv: [...sourceExecArgv(import.meta.url), ...memoryLimitFlags(maxMemoryBytes)], serialization: 'advanced', stdio: ['ignore', 'ignore', 'inherit', 'ipc'] }),
        { announcesReady: true },
      ),
    failed: errorOf,
    // The size is read once, as the check is queued: the file does not change while it waits.
    timeLimitMs: (check) => checkTimeLimitMs(checkedBytes(check.file), check.timeoutSec),
    lost: (check, end) => {
      if (end.timedOut) notCheckable(check, `checking it took longer than its time limit of ${formatDuration(end.timedOut.limitMs)} (SILO_CHECK_TIMEOUT_SEC, plus as much again per GiB of the file)`);
      else if (end.signal === MEMORY_LIMIT_SIGNAL && maxMemoryBytes !== undefined) notCheckable(check, `${memoryLimitMessage(maxMemoryBytes, 'reading it')} (SILO_QUERY_MAX_MEMORY_BYTES)`);
      else check.reject(new SiloError('ENGINE_FAILURE', `The file could not be checked: its process stopped (${end.reason}).`));
    },
  });
}

/** A check stopped at one of its process's limits: an import is refused, an integrity check finds the file not checkable. */
function notCheckable(check: PendingJob<QueuedCheck>, reason: string): void {
  if (check.job.kind === 'validate-import') check.reject(importRejected(reason));
  else check.resolve([`the file could not be checked: ${reason}`]);
}

/** The process's error as the main thread would have raised it: the refusal again, or an error with SQLite's code (disk full). */
function errorOf(error: CheckFailure): Error {
  if (error.rejected !== undefined) return new SiloError('IMPORT_REJECTED', error.message, { details: { reason: error.rejected } });
  return Object.assign(new Error(error.message), error.code === undefined ? {} : { code: error.code });
}

/** One check process per memory limit (a process's limit is fixed when it starts; a time limit is a check's own). */
const processes = new Map<number | undefined, HelperChannel<QueuedCheck, CheckFailure>>();

function checks(maxMemoryBytes: number | undefined): HelperChannel<QueuedCheck, CheckFailure> {
  let found = processes.get(maxMemoryBytes);
  if (!found) processes.set(maxMemoryBytes, (found = checkProcess(maxMemoryBytes)));
  return found;
}

/** ImportValidator.validateAndMigrate of a private copy, in the check process. */
export async function validateImport(
  file: string,
  schema: TenantSchema,
  source: ImportSource,
  maxMemoryBytes: number | undefined,
  timeoutSec: number = CHECK_TIMEOUT_DEFAULT_SEC,
): Promise<{ fromVersion: number; toVersion: number }> {
  return (await checks(maxMemoryBytes).run({ kind: 'validate-import', file, schema, source, timeoutSec })) as { fromVersion: number; toVersion: number };
}

/** SQLite's integrity check of a file (integrityOfFile), in the check process: its findings, none when sound. */
export async function checkIntegrity(file: string, maxMemoryBytes: number | undefined, timeoutSec: number = CHECK_TIMEOUT_DEFAULT_SEC): Promise<string[]> {
  return (await checks(maxMemoryBytes).run({ kind: 'integrity', file, timeoutSec })) as string[];
}
