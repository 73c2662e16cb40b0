import { closeSync, createWriteStream, fstatSync, ftruncateSync, openSync, readSync, writeSync } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import type { SiloError } from '../errors';
import { preparePrivateFile } from '../permissions';
import { byteEndpointError, type ByteTarget } from './turso-upload';

/**
 * A whole database read from Turso as bytes, the way `turso db export` does it (turso-cli,
 * internal/turso/tursoServer.go `Export`/`ExportWAL`), from the database's Hostname:
 *
 *   GET /info                           → 200 {"current_generation": g}
 *   GET /export/{g}                     → 200, the database image the generation starts from
 *   GET /sync/{g}/{from}/{from+128}     → 200, frames [from, from+128) of the generation; turso-cli
 *                                          stops at 400 or 500 (past the last frame), an empty
 *                                          body, or a short batch
 *
 * A frame is 24 bytes (page number BE u32, database size in pages after the commit BE u32 or
 * 0 inside a transaction, 16 bytes of salts and checksums) and one 4096-byte page. turso-cli
 * writes the frames into a -wal file with fresh checksums and lets SQLite recover it; we
 * apply them to the image directly, whole transactions only (frames after the last commit
 * frame are an unfinished transaction SQLite's recovery would drop too). The result is the
 * database's main file as of the last commit read: byte for byte what Turso holds,
 * virtual tables (FTS) included, no SQL transaction held open, no rows read.
 */

const PAGE_SIZE = 4096;
const FRAME_HEADER = 24;
const FRAME_BYTES = FRAME_HEADER + PAGE_SIZE;
/** turso-cli's batch size. */
const FRAMES_PER_REQUEST = 128;
/** A generation can end between /info and /export (404): start over this many times. */
const GENERATION_ATTEMPTS = 3;

export interface ExportFigures {
  readonly generation: number;
  readonly imageBytes: number;
  readonly framesApplied: number;
  readonly pageCount: number;
}

async function get(target: ByteTarget, path: string): Promise<Response> {
  try {
    return await fetch(`${target.tls ? 'https' : 'http'}://${target.hostname.replace(/\/+$/, '')}${path}`, {
      headers: { authorization: `Bearer ${target.token}` },
    });
  } catch (error) {
    throw byteEndpointError(target, `read ${path.split('/')[1] ?? path} of`, undefined, error instanceof Error ? error.message : String(error));
  }
}

async function failed(target: ByteTarget, what: string, response: Response): Promise<SiloError> {
  return byteEndpointError(target, what, response.status, await response.text().catch(() => ''));
}

/** Writes the database's current image to `dest` (a new private file). */
export async function exportDatabaseFile(target: ByteTarget, dest: string): Promise<ExportFigures> {
  for (let attempt = 1; ; attempt++) {
    const info = await get(target, '/info');
    if (!info.ok) throw await failed(target, 'read the generation of', info);
    const generation = Number(((await info.json()) as { current_generation?: unknown }).current_generation);
    if (!Number.isSafeInteger(generation)) throw byteEndpointError(target, 'read the generation of', info.status, 'no current_generation');
    const image = await get(target, `/export/${generation}`);
    if (image.status === 404 && attempt < GENERATION_ATTEMPTS) {
      await image.body?.cancel();
      continue;
    }
    if (!image.ok || image.body === null) throw await failed(target, 'export', image);
    preparePrivateFile(dest);
    await pipeline(Readable.fromWeb(image.body as WebReadableStream<Uint8Array>), createWriteStream(dest));
    const fd = openSync(dest, 'r+');
    try {
      const imageBytes = fstatSync(fd).size;
      const framesApplied = await applyFrames(target, generation, fd);
      const pageCount = checkImage(target, fd);
      return { generation, imageBytes, framesApplied, pageCount };
    } finally {
      closeSync(fd);
    }
  }
}

async function applyFrames(target: ByteTarget, generation: number, fd: number): Promise<number> {
  let pending: Buffer[] = [];
  let applied = 0;
  for (let from = 1; ; ) {
    const response = await get(target, `/sync/${generation}/${from}/${from + FRAMES_PER_REQUEST}`);
    // What turso-cli reads as "no more frames".
    if (response.status === 400 || response.status === 500) {
      await response.body?.cancel();
      break;
    }
    if (!response.ok) throw await failed(target, 'read the log of', response);
    const body = Buffer.from(await response.arrayBuffer());
    if (body.length % FRAME_BYTES !== 0) {
      throw byteEndpointError(target, 'read the log of', response.status, `a sync answer of ${body.length} bytes is not whole frames`);
    }
    const count = body.length / FRAME_BYTES;
    for (let index = 0; index < count; index++) {
      const frame = body.subarray(index * FRAME_BYTES, (index + 1) * FRAME_BYTES);
      pending.push(frame);
      const sizeAfterCommit = frame.readUInt32BE(4);
      if (sizeAfterCommit === 0) continue;
      for (const page of pending) writeSync(fd, page, FRAME_HEADER, PAGE_SIZE, (page.readUInt32BE(0) - 1) * PAGE_SIZE);
      ftruncateSync(fd, sizeAfterCommit * PAGE_SIZE);
      applied += pending.length;
      pending = [];
    }
    if (count < FRAMES_PER_REQUEST) break;
    from += count;
  }
  return applied;
}

/** The file must be whole pages, as many as its header says (when it says): a torn transfer is not a database. */
function checkImage(target: ByteTarget, fd: number): number {
  const header = Buffer.alloc(100);
  const size = fstatSync(fd).size;
  if (readSync(fd, header, 0, 100, 0) < 100 || header.toString('latin1', 0, 15) !== 'SQLite format 3') {
    throw byteEndpointError(target, 'export', 200, 'the image is not a SQLite database');
  }
  const pageSize = header.readUInt16BE(16) === 1 ? 65_536 : header.readUInt16BE(16);
  // The in-header size counts only when "version-valid-for" matches the change counter.
  const headerValid = header.readUInt32BE(92) === header.readUInt32BE(24) && header.readUInt32BE(28) > 0;
  const pages = headerValid ? header.readUInt32BE(28) : size / pageSize;
  if (size % pageSize !== 0 || pages * pageSize !== size) {
    throw byteEndpointError(target, 'export', 200, `the image is ${size} bytes, its header says ${pages} pages of ${pageSize} bytes`);
  }
  return pages;
}
