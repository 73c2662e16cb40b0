/**
 * The worker thread that checks SQLite files (check-thread.ts): an import's validation (the
 * schema comparison, the integrity check, the migrations) and the integrity check of a backup
 * point being restored or verified. Synchronous SQLite work on files of any size: on the
 * server's main thread a 364 MB import stopped every other request for 8 s.
 */
import { parentPort } from 'node:worker_threads';
import { isSiloError } from '../errors';
import type { ImportSource } from '../engine';
import type { TenantSchema } from '../schema';
import { integrityOfFile } from '../sqlite';
import { ImportValidator } from './sqlite-import';

export type CheckJob =
  | { readonly id: number; readonly kind: 'validate-import'; readonly file: string; readonly schema: TenantSchema; readonly source: ImportSource }
  | { readonly id: number; readonly kind: 'integrity'; readonly file: string };

export type CheckReply =
  | { readonly id: number; readonly ok: true; readonly result: unknown }
  | { readonly id: number; readonly ok: false; readonly error: { readonly message: string; readonly code?: string; readonly rejected?: string } };

// Reference schemas are built once per thread and kept, as on the main thread before.
const validator = new ImportValidator();

function run(job: CheckJob): unknown {
  switch (job.kind) {
    case 'validate-import':
      return validator.validateAndMigrate(job.file, job.schema, job.source);
    case 'integrity':
      return integrityOfFile(job.file);
  }
}

parentPort?.on('message', (job: CheckJob) => {
  let reply: CheckReply;
  try {
    reply = { id: job.id, ok: true, result: run(job) };
  } catch (error) {
    const { message, code } = error as { message?: string; code?: unknown };
    reply = {
      id: job.id,
      ok: false,
      // The validator's own refusals are IMPORT_REJECTED; anything else is SQLite's (a full disk).
      error: isSiloError(error, 'IMPORT_REJECTED')
        ? { message: error.message, rejected: error.details.reason ?? '' }
        : { message: message ?? String(error), ...(typeof code === 'string' ? { code } : {}) },
    };
  }
  parentPort?.postMessage(reply);
});
