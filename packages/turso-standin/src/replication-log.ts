import { closeSync, openSync, readSync } from 'node:fs';
import type { Connection } from './database-files';

/** Embedded replicas apply 4 KiB pages; the stand-in's databases use SQLite's default page size. */
export const PAGE_SIZE = 4096;
/** A frame: page number (BE u32), database size in pages after commit (BE u32, 0 inside a transaction), 16 bytes libsql ignores, the page. */
export const FRAME_BYTES = 24 + PAGE_SIZE;
const WAL_HEADER_BYTES = 32;

/**
 * What an embedded replica pulls from its primary (libsql's "sync protocol v2"): a generation
 * starts from a byte-exact image of the database (`/export/{generation}`), then every commit
 * adds the pages it wrote as frames, numbered from 1 (`/sync/{generation}/{from}/{to}`).
 *
 * SQLite's own WAL frames have that very layout (the 16 bytes are salts and checksums), so
 * after each commit the frames it appended are copied out of the WAL. Our numbering does not
 * restart when SQLite checkpoints and rewinds the WAL, so a replica never misses a commit.
 * The log is kept in memory: the stand-in serves tests, and only databases an embedded
 * replica has asked for (the catalog) keep one.
 */
export class ReplicationLog {
  readonly generation = 1;
  readonly #base: Buffer;
  readonly #frames: Buffer[] = [];
  /** Frames whose commit the log holds; a replica is only ever sent whole transactions. */
  #committed = 0;
  #walSalts = '';
  #walFramesTaken = 0;

  constructor(
    private readonly file: string,
    conn: Connection,
  ) {
    const pageSize = Number(conn.pragma('page_size', { simple: true }));
    if (pageSize !== PAGE_SIZE) throw new Error(`embedded replicas need ${PAGE_SIZE}-byte pages; this database has ${pageSize}`);
    // Both in the same synchronous step: the image holds every commit up to the WAL's end.
    this.#base = conn.serialize();
    this.#take(false);
  }

  /** The image a replica starts the generation from. */
  export(): Buffer {
    return this.#base;
  }

  get lastFrame(): number {
    return this.#committed;
  }

  /** Frames `from` (1-based) up to, not including, `to`, as one body; empty past the end. */
  frames(from: number, to: number): Buffer {
    const end = Math.min(to - 1, this.#committed);
    return from > end ? Buffer.alloc(0) : Buffer.concat(this.#frames.slice(from - 1, end));
  }

  /** Called after every commit on the database: copies the frames the commit appended to the WAL. */
  capture(): void {
    this.#take(true);
  }

  #take(keep: boolean): void {
    let fd: number;
    try {
      fd = openSync(`${this.file}-wal`, 'r');
    } catch {
      return; // No WAL yet (or checkpointed away): nothing was written since.
    }
    try {
      const header = Buffer.alloc(WAL_HEADER_BYTES);
      if (readSync(fd, header, 0, WAL_HEADER_BYTES, 0) < WAL_HEADER_BYTES) return;
      const salts = header.subarray(16, 24).toString('hex');
      if (salts !== this.#walSalts) {
        // A new WAL (SQLite rewound it after a checkpoint): its frames start again at 1.
        this.#walSalts = salts;
        this.#walFramesTaken = 0;
      }
      const pending: Buffer[] = [];
      const frame = Buffer.alloc(FRAME_BYTES);
      for (let index = this.#walFramesTaken; ; index++) {
        const offset = WAL_HEADER_BYTES + index * FRAME_BYTES;
        if (readSync(fd, frame, 0, FRAME_BYTES, offset) < FRAME_BYTES) break;
        // Frames left over from an earlier WAL carry other salts: the end of this one.
        if (frame.subarray(8, 16).toString('hex') !== salts) break;
        pending.push(Buffer.from(frame));
        if (frame.readUInt32BE(4) > 0) {
          if (keep) this.#frames.push(...pending);
          this.#walFramesTaken = index + 1;
          pending.length = 0;
        }
      }
      this.#committed = this.#frames.length;
    } finally {
      closeSync(fd);
    }
  }
}
