/**
 * The worker thread import validation runs on (import-thread.ts): the integrity check, the
 * schema comparison and the migrations of a file of any size are synchronous SQLite work, and
 * on the server's main thread a 364 MB import stopped every other request for 8 s.
 */
import { parentPort } from 'node:worker_threads';
import { isSiloError } from '../errors';
import type { ImportSource } from '../engine';
import type { TenantSchema } from '../schema';
import { ImportValidator } from './sqlite-import';

export interface ImportJob {
  readonly id: number;
  readonly file: string;
  readonly schema: TenantSchema;
  readonly source: ImportSource;
}

export type ImportReply =
  | { readonly id: number; readonly ok: true; readonly report: { fromVersion: number; toVersion: number } }
  | { readonly id: number; readonly ok: false; readonly error: { readonly message: string; readonly code?: string; readonly rejected?: string } };

// Reference schemas are built once per thread and kept, as on the main thread before.
const validator = new ImportValidator();

parentPort?.on('message', (job: ImportJob) => {
  let reply: ImportReply;
  try {
    reply = { id: job.id, ok: true, report: validator.validateAndMigrate(job.file, job.schema, job.source) };
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
