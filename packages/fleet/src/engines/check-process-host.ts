/**
 * The child process that checks SQLite files (check-process.ts): an import's validation (the
 * schema comparison, the integrity check, the migrations) and the integrity check of a backup
 * point being restored or verified, or of an instance (`doctor --deep`). Synchronous SQLite
 * work on files of any size, and on a file an uploader made: on the server's main thread a
 * 364 MB import stopped every other request for 8 s, and merely opening a file loads its
 * planner statistics into memory (a crafted `sqlite_stat4` of 300 MB took 300 MB). Here it
 * runs under the memory limit of processes that run tenant SQL (memory/memory-limit.ts), and
 * the parent kills it when a check runs past its time limit (SILO_CHECK_TIMEOUT_SEC).
 */
import { isSiloError } from '../errors';
import type { ImportSource } from '../engine';
import type { TenantSchema } from '../schema';
import { integrityOfFile } from '../sqlite';
import { ImportValidator } from './sqlite-import';

// Owner-only, like its parent: the migrated copy and its -wal are tenant data.
process.umask(0o077);

export type CheckJob =
  | { readonly kind: 'validate-import'; readonly file: string; readonly schema: TenantSchema; readonly source: ImportSource }
  | { readonly kind: 'integrity'; readonly file: string };

export type CheckReply =
  | { readonly id: number; readonly ok: true; readonly result: unknown }
  | { readonly id: number; readonly ok: false; readonly error: { readonly message: string; readonly code?: string; readonly rejected?: string } };

// Reference schemas are built once per process and kept.
const validator = new ImportValidator();

function run(job: CheckJob): unknown {
  switch (job.kind) {
    case 'validate-import':
      return validator.validateAndMigrate(job.file, job.schema, job.source);
    case 'integrity':
      return integrityOfFile(job.file);
  }
}

process.on('message', ({ id, job }: { id: number; job: CheckJob }) => {
  let reply: CheckReply;
  try {
    reply = { id, ok: true, result: run(job) };
  } catch (error) {
    const { message, code } = error as { message?: string; code?: unknown };
    reply = {
      id,
      ok: false,
      // The validator's own refusals are IMPORT_REJECTED; anything else is SQLite's (a full disk).
      error: isSiloError(error, 'IMPORT_REJECTED')
        ? { message: error.message, rejected: error.details.reason ?? '' }
        : { message: message ?? String(error), ...(typeof code === 'string' ? { code } : {}) },
    };
  }
  // The parent may be gone (Ctrl+C while a check ran): the answer has nobody to go to, and a
  // send to a closed channel would end this process on an unhandled EPIPE with a stack trace.
  if (process.connected) process.send?.(reply, () => undefined);
});

// The parent counts a check's time limit from here, not from the fork: loading this module
// (from sources under tsx, on a busy machine) is not the check's time (check-process.ts).
if (process.connected) process.send?.({ ready: true }, () => undefined);
