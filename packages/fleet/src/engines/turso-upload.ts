import { closeSync, fstatSync, openSync, readSync, statSync } from 'node:fs';
import Database from 'better-sqlite3';
import { SiloError } from '../errors';

/**
 * Whole databases go to Turso as files, the way turso-cli's `db create --from-file` does it
 * (tursodatabase/turso-cli, internal/turso/databases.go and tursoServer.go): the database is
 * created with `seed: {type: "database_upload"}` (a draft, not served), a token for it is
 * minted, and the file is sent to the database's own Hostname in chunks:
 *
 *   PUT /v2/upload/start              {"db_size_bytes": n}  → 200 {"chunk_size", "upload_id"}
 *   PUT /v2/upload/{id}/chunk/{k}     chunk k (k from 0), `chunk_size` bytes but the last → 200/201
 *   PUT /v2/upload/{id}/finalize                             → 200; the server validates and activates
 *
 * Each request carries `Authorization: Bearer <token>`. turso-cli retries a chunk on network
 * errors, 5xx, 408 and 429 (exponential backoff) and treats every other status as final. It
 * sends finalize once: a finalize whose answer was lost may have activated the database, and a
 * second one would be refused (the draft is gone), so the caller checks instead
 * (`outcomeUnknown` in the error's details).
 * The server accepts only files in WAL mode with 4096-byte pages, auto_vacuum off and UTF-8
 * text, whose `quick_check` passes; `prepareForUpload` makes a local copy so.
 */

/** Where to upload: the database's Hostname (as the Platform API returned it) and a token for it. */
export interface ByteTarget {
  readonly database: string;
  readonly hostname: string;
  readonly token: string;
  readonly tls: boolean;
}

const CHUNK_ATTEMPTS = 4;
const PAGE_SIZE = 4096;
/**
 * The largest file turso-cli uploads (internal/cmd/group_flag.go, `MaxAWSDBSizeBytes`: "database
 * file size exceeds maximum allowed size of 20 GB"); checked before the draft is created, so a
 * file Turso would not take leaves nothing behind.
 */
export const MAX_UPLOAD_BYTES = 20 * 1024 ** 3;

/**
 * Brings a local copy (ours to change) into the shape Turso accepts: 4096-byte pages and no
 * auto_vacuum, both of which only a VACUUM can change and only outside WAL mode; then WAL mode
 * and a truncating checkpoint, so every committed page is in the main file that is sent (the
 * server never sees a -wal file). Returns the page count of the prepared file.
 */
export function prepareForUpload(file: string): { pageCount: number; vacuumed: boolean } {
  const db = new Database(file);
  try {
    const encoding = String(db.pragma('encoding', { simple: true }));
    if (encoding !== 'UTF-8') {
      // SQLite cannot change a database's encoding in place; a copy would mean replaying SQL.
      throw new SiloError('IMPORT_REJECTED', `The file uses ${encoding} text; Turso accepts only UTF-8 databases.`);
    }
    const pageSize = Number(db.pragma('page_size', { simple: true }));
    const autoVacuum = Number(db.pragma('auto_vacuum', { simple: true }));
    const vacuumed = pageSize !== PAGE_SIZE || autoVacuum !== 0;
    if (vacuumed) {
      db.pragma('journal_mode = DELETE');
      db.pragma(`page_size = ${PAGE_SIZE}`);
      db.pragma('auto_vacuum = 0');
      db.exec('VACUUM');
    }
    db.pragma('journal_mode = WAL');
    const [checkpoint] = db.pragma('wal_checkpoint(TRUNCATE)') as { busy: number }[];
    if (checkpoint?.busy !== 0) throw new SiloError('ENGINE_FAILURE', 'Could not checkpoint the copy before its upload: another connection holds it.');
    const pageCount = Number(db.pragma('page_count', { simple: true }));
    // What is sent is the whole file (uploadDatabaseFile), so its size on disk is what counts.
    const bytes = statSync(file).size;
    if (bytes > MAX_UPLOAD_BYTES) {
      throw new SiloError('IMPORT_REJECTED', `The file is ${bytes} bytes; Turso takes database files of at most 20 GB (${MAX_UPLOAD_BYTES} bytes).`);
    }
    return { pageCount, vacuumed };
  } finally {
    db.close();
  }
}

function baseUrl(target: ByteTarget): string {
  return `${target.tls ? 'https' : 'http'}://${target.hostname.replace(/\/+$/, '')}`;
}

/** A failed request to a database's Hostname; `cause.status` is what isAuthRefused reads. */
export function byteEndpointError(target: ByteTarget, what: string, status: number | undefined, body: string, outcomeUnknown = false): SiloError {
  const reason = body.trim() === '' ? 'no reason given' : body.trim().slice(0, 500);
  return new SiloError(
    'ENGINE_FAILURE',
    `Turso could not ${what} database "${target.database}"${status === undefined ? '' : ` (HTTP ${status})`}: ${reason}`,
    { details: { status, ...(outcomeUnknown ? { outcomeUnknown: true } : {}) }, cause: { status } },
  );
}

function transient(status: number | undefined): boolean {
  return status === undefined || status >= 500 || status === 408 || status === 429;
}

async function request(target: ByteTarget, method: string, path: string, body?: Uint8Array<ArrayBuffer> | string, contentType?: string): Promise<Response> {
  return fetch(`${baseUrl(target)}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${target.token}`,
      ...(contentType === undefined ? {} : { 'content-type': contentType }),
    },
    ...(body === undefined ? {} : { body }),
  });
}

/** One request: its response when it succeeded, else its status (none: no answer) and why. */
async function attempt(send: () => Promise<Response>): Promise<{ response: Response } | { status: number | undefined; text: string }> {
  try {
    const response = await send();
    if (response.ok) return { response };
    return { status: response.status, text: await response.text() };
  } catch (error) {
    return { status: undefined, text: error instanceof Error ? error.message : String(error) };
  }
}

/** One request, retried on what turso-cli retries; any other failure is final. */
async function withRetries(target: ByteTarget, what: string, send: () => Promise<Response>): Promise<Response> {
  for (let tries = 1; ; tries++) {
    const result = await attempt(send);
    if ('response' in result) return result.response;
    if (!transient(result.status) || tries >= CHUNK_ATTEMPTS) throw byteEndpointError(target, what, result.status, result.text);
    await new Promise((resolve) => setTimeout(resolve, 100 * 2 ** tries));
  }
}

/**
 * Sends finalize once. A failure that may have happened after the server acted (no answer, 5xx,
 * 408) is marked `outcomeUnknown`; a 429 or 4xx means it was not done.
 */
async function finalize(target: ByteTarget, uploadId: string): Promise<void> {
  const result = await attempt(() => request(target, 'PUT', `/v2/upload/${encodeURIComponent(uploadId)}/finalize`));
  if ('response' in result) return void (await result.response.body?.cancel());
  throw byteEndpointError(target, 'finish the upload of', result.status, result.text, transient(result.status) && result.status !== 429);
}

/** Sends the prepared file to the draft database; on success Turso has activated it. */
export async function uploadDatabaseFile(target: ByteTarget, file: string): Promise<{ bytes: number; chunks: number }> {
  const fd = openSync(file, 'r');
  try {
    const size = fstatSync(fd).size;
    const started = await withRetries(target, 'start the upload of', () =>
      request(target, 'PUT', '/v2/upload/start', JSON.stringify({ db_size_bytes: size }), 'application/json'),
    );
    const { chunk_size: chunkSize, upload_id: uploadId } = (await started.json()) as { chunk_size?: unknown; upload_id?: unknown };
    if (typeof chunkSize !== 'number' || chunkSize <= 0 || typeof uploadId !== 'string' || uploadId === '') {
      throw byteEndpointError(target, 'start the upload of', started.status, 'the answer had no chunk_size or upload_id');
    }
    let chunks = 0;
    for (let offset = 0; offset < size; offset += chunkSize, chunks++) {
      const length = Math.min(chunkSize, size - offset);
      const chunk = Buffer.alloc(length);
      if (readSync(fd, chunk, 0, length, offset) !== length) throw new SiloError('ENGINE_FAILURE', `The staged copy ${file} changed during its upload.`);
      const response = await withRetries(target, `upload chunk ${chunks} of`, () =>
        request(target, 'PUT', `/v2/upload/${encodeURIComponent(uploadId)}/chunk/${chunks}`, chunk, 'application/octet-stream'),
      );
      await response.body?.cancel();
    }
    await finalize(target, uploadId);
    return { bytes: size, chunks };
  } finally {
    closeSync(fd);
  }
}
