import { randomUUID } from 'node:crypto';
import { closeSync, fstatSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import Database from 'better-sqlite3';
import { HttpError, readJson, sendJson } from './http-util';
import type { DatabaseRecord, PlatformState } from './platform-state';
import type { TokenClaims } from './tokens';

/**
 * Turso's import of a SQLite file (turso-cli `db create --from-file` / `db import`):
 *
 *  1. `POST /v1/organizations/{org}/databases` with `seed: {type: "database_upload"}` creates a
 *     draft: it exists in the Platform API but is not served (the SQL and sync endpoints
 *     answer 404) until an upload activates it;
 *  2. with a token for that database, the file goes to its Hostname, either as one body
 *     (`POST /v1/upload`, `application/octet-stream`; turso-cli from February 2025) or in
 *     chunks (turso-cli since December 2025, always): `PUT /v2/upload/start` with
 *     `{"db_size_bytes"}` → `{"chunk_size", "upload_id"}`, `PUT /v2/upload/{id}/chunk/{n}`
 *     (n from 0, every chunk `chunk_size` bytes but the last; 200), `PUT /v2/upload/{id}/finalize`;
 *  3. the server validates the file and activates the database; any status but 200 is a
 *     failure turso-cli prints with the body ("upload failed with status code N: <body>").
 *
 * turso-server is not open source; its checks are those turso-cli runs before uploading
 * (internal/cmd/group_flag.go `sqliteFileIntegrityChecks`): WAL mode, 4096-byte pages,
 * auto_vacuum off, UTF-8, `quick_check` ok. The stand-in enforces them on the server side,
 * from the file header and SQLite itself, refusing with 400 and `{ "error": <message> }` (the
 * shape of every sqld/Platform error), so a client that skips its own checks fails here as it
 * would on Turso.
 */

const UPLOAD_PATH = /^(?:v1\/upload|v2\/upload\/start|v2\/upload\/([A-Za-z0-9-]+)\/(?:chunk\/(\d+)|finalize))$/;

/**
 * The largest file an upload takes: turso-cli refuses a bigger one before sending it
 * (internal/cmd/group_flag.go, `MaxAWSDBSizeBytes`, "database file size exceeds maximum allowed
 * size of 20 GB"); the stand-in refuses it on the server side, as it does turso-cli's other checks.
 */
export const MAX_UPLOAD_BYTES = 20 * 1024 ** 3;

/** What `PUT /v2/upload/start` answers; small enough that tests cross several chunks. */
export const UPLOAD_CHUNK_BYTES = 4 * 1024 * 1024;

const SQLITE_MAGIC = Buffer.from('SQLite format 3\0', 'latin1');

export function isUploadRoute(rest: string): boolean {
  return UPLOAD_PATH.test(rest);
}

interface PendingUpload {
  readonly id: string;
  readonly database: string;
  readonly file: string;
  readonly sizeBytes: number;
  readonly chunks: Set<number>;
}

/** Multipart uploads in progress, by upload id. */
export class UploadRegistry {
  readonly #pending = new Map<string, PendingUpload>();

  start(db: DatabaseRecord, sizeBytes: number): PendingUpload {
    // A new start replaces an earlier unfinished one for the same database (a retried import).
    for (const upload of this.#pending.values()) if (upload.database === db.name) this.drop(upload.id);
    const upload: PendingUpload = { id: randomUUID(), database: db.name, file: `${db.file}.upload`, sizeBytes, chunks: new Set() };
    rmSync(upload.file, { force: true });
    closeSync(openSync(upload.file, 'w'));
    this.#pending.set(upload.id, upload);
    return upload;
  }

  get(id: string, db: DatabaseRecord): PendingUpload {
    const upload = this.#pending.get(id);
    if (upload === undefined || upload.database !== db.name) throw uploadError(404, `upload ${id} not found`);
    return upload;
  }

  drop(id: string): void {
    const upload = this.#pending.get(id);
    if (upload === undefined) return;
    this.#pending.delete(id);
    rmSync(upload.file, { force: true });
  }

  /** A deleted database's unfinished uploads go with it. */
  dropDatabase(name: string): void {
    for (const upload of [...this.#pending.values()]) if (upload.database === name) this.drop(upload.id);
  }

  closeAll(): void {
    for (const id of [...this.#pending.keys()]) this.drop(id);
  }
}

export interface UploadContext {
  state: PlatformState;
  uploads: UploadRegistry;
}

function uploadError(status: number, message: string): HttpError {
  return new HttpError(status, { error: message });
}

/**
 * One of the upload routes of a database. `claims` are the caller's verified token claims:
 * an upload writes, so a read-only token gets 403, as any write does on sqld.
 */
export async function handleUpload(
  ctx: UploadContext,
  req: IncomingMessage,
  res: ServerResponse,
  db: DatabaseRecord,
  rest: string,
  claims: TokenClaims,
): Promise<void> {
  const method = req.method ?? 'GET';
  if (claims.access === 'read-only') throw uploadError(403, 'Authorization forbidden: a read-only token cannot upload a database');
  if (!db.awaitingUpload) {
    // Only a database_upload draft takes a file: an active database is never overwritten.
    throw uploadError(400, `database ${db.name} was not created for an upload (seed type "database_upload") or was already uploaded`);
  }
  const [, uploadId, chunk] = UPLOAD_PATH.exec(rest) ?? [];
  if (rest === 'v1/upload') {
    if (method !== 'POST') throw uploadError(405, `method ${method} not allowed on ${rest}`);
    // api-reference/databases/upload: `Content-Length` is a required header ("Size of the
    // database file in bytes"), so a chunked body without it is refused before it is read.
    const length = req.headers['content-length'];
    if (length === undefined || !/^\d+$/.test(length)) throw uploadError(400, 'Content-Length header is required: the size of the database file in bytes');
    if (Number(length) > MAX_UPLOAD_BYTES) throw uploadError(400, 'database file size exceeds maximum allowed size of 20 GB');
    const file = `${db.file}.upload`;
    try {
      await receive(req, file, 0, undefined);
      activate(ctx, db, file);
    } finally {
      rmSync(file, { force: true });
    }
    return sendJson(res, 200, {});
  }
  if (method !== 'PUT') throw uploadError(405, `method ${method} not allowed on ${rest}`);
  if (rest === 'v2/upload/start') {
    const body = (await readJson(req)) as { db_size_bytes?: unknown } | undefined;
    const size = body?.db_size_bytes;
    if (typeof size !== 'number' || !Number.isSafeInteger(size) || size <= 0) {
      throw uploadError(400, 'invalid request body: db_size_bytes must be a positive integer');
    }
    if (size > MAX_UPLOAD_BYTES) throw uploadError(400, 'database file size exceeds maximum allowed size of 20 GB');
    const upload = ctx.uploads.start(db, size);
    return sendJson(res, 200, { chunk_size: UPLOAD_CHUNK_BYTES, upload_id: upload.id });
  }
  const upload = ctx.uploads.get(uploadId ?? '', db);
  if (chunk !== undefined) {
    const index = Number(chunk);
    const offset = index * UPLOAD_CHUNK_BYTES;
    const expected = Math.min(UPLOAD_CHUNK_BYTES, upload.sizeBytes - offset);
    if (expected <= 0) throw uploadError(400, `chunk ${index} is past the announced size of ${upload.sizeBytes} bytes`);
    // A retried chunk rewrites the same bytes: turso-cli retries chunks on 5xx, 408 and 429.
    await receive(req, upload.file, offset, expected);
    upload.chunks.add(index);
    return sendJson(res, 200, {});
  }
  // finalize
  const count = Math.ceil(upload.sizeBytes / UPLOAD_CHUNK_BYTES);
  const missing = [...Array(count).keys()].filter((index) => !upload.chunks.has(index));
  if (missing.length > 0) throw uploadError(400, `upload ${upload.id} is missing chunks ${missing.slice(0, 5).join(', ')}`);
  try {
    activate(ctx, db, upload.file);
  } finally {
    ctx.uploads.drop(upload.id);
  }
  return sendJson(res, 200, {});
}

/** Streams the body to `file` at `offset`; `expected` bytes exactly when given. */
async function receive(req: IncomingMessage, file: string, offset: number, expected: number | undefined): Promise<void> {
  const fd = openSync(file, offset === 0 && expected === undefined ? 'w' : 'r+');
  let written = 0;
  try {
    for await (const piece of req as AsyncIterable<Buffer>) {
      if (expected !== undefined && written + piece.length > expected) {
        throw uploadError(400, `chunk longer than the expected ${expected} bytes`);
      }
      writeSync(fd, piece, 0, piece.length, offset + written);
      written += piece.length;
    }
  } finally {
    closeSync(fd);
  }
  if (expected !== undefined && written !== expected) throw uploadError(400, `chunk of ${written} bytes, expected ${expected}`);
  if (written === 0) throw uploadError(400, 'empty upload');
}

/** Validates the uploaded file and makes it the database. */
function activate(ctx: UploadContext, db: DatabaseRecord, file: string): void {
  const problem = validateUpload(file);
  if (problem !== undefined) throw uploadError(400, problem);
  ctx.state.activateUpload(db, file);
}

/**
 * The reason Turso refuses the file, or undefined. Header fields (https://sqlite.org/fileformat.html):
 * page size at 16 (u16 BE, 1 = 65536), write/read versions at 18/19 (2 = WAL), largest root
 * page at 52 (non-zero = auto_vacuum or incremental), text encoding at 56 (1 = UTF-8), and the
 * size in pages at 28, which must match the file when valid (a truncated copy does not).
 */
export function validateUpload(file: string): string | undefined {
  const fd = openSync(file, 'r');
  const header = Buffer.alloc(100);
  let size: number;
  try {
    size = fstatSync(fd).size;
    if (readSync(fd, header, 0, 100, 0) < 100 || !header.subarray(0, 16).equals(SQLITE_MAGIC)) {
      return 'file is not a SQLite database';
    }
  } finally {
    closeSync(fd);
  }
  const rawPageSize = header.readUInt16BE(16);
  const pageSize = rawPageSize === 1 ? 65_536 : rawPageSize;
  if (header[18] !== 2 || header[19] !== 2) return 'database is not in WAL mode (journal_mode must be wal)';
  if (pageSize !== 4096) return `database must use 4KB page size, it uses ${pageSize} bytes`;
  if (header.readUInt32BE(52) !== 0) return 'database must have autovacuum disabled (auto_vacuum = 0)';
  if (header.readUInt32BE(56) !== 1) return 'database must use UTF-8 encoding';
  // The in-header size counts only when "version-valid-for" (92) matches the change counter (24).
  const headerValid = header.readUInt32BE(92) === header.readUInt32BE(24) && header.readUInt32BE(28) > 0;
  if (size % pageSize !== 0 || (headerValid && header.readUInt32BE(28) * pageSize !== size)) {
    return `database file is ${size} bytes, its header says ${header.readUInt32BE(28)} pages of ${pageSize} bytes: truncated or not checkpointed`;
  }
  // A WAL left beside the uploaded copy would not exist on the server: only the main file counts.
  rmSync(`${file}-wal`, { force: true });
  rmSync(`${file}-shm`, { force: true });
  const db = new Database(file);
  try {
    const result = db.pragma('quick_check') as { quick_check: string }[];
    const messages = result.map((row) => row.quick_check);
    if (messages.length !== 1 || messages[0] !== 'ok') return `integrity check failed: ${messages.slice(0, 5).join('; ')}`;
  } catch (error) {
    return `integrity check failed: ${error instanceof Error ? error.message : String(error)}`;
  } finally {
    db.close();
  }
  rmSync(`${file}-shm`, { force: true });
  return undefined;
}
