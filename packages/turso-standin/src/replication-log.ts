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
interface Generation {
  /** The byte-exact image the generation starts from (the state at the end of the one before). */
  readonly base: Buffer;
  readonly frames: Buffer[];
}

export class ReplicationLog {
  #generation = 1;
  readonly #generations = new Map<number, Generation>();
  /** Commits captured into the current generation, to start a new one every `commitsPerGeneration`. */
  #commitsInGeneration = 0;
  #walSalts = '';
  #walFramesTaken = 0;

  /**
   * `commitsPerGeneration` (0: never) starts a new generation after that many commits, as sqld
   * does now and then (a checkpoint of its log, a restart): a replica then reads 400
   * `{ generation }` at the end of its generation, checkpoints, and continues from frame 1 of
   * the next one (libsql's sync.rs, try_pull's EndOfGeneration arm). Earlier generations stay
   * servable, so a replica that fell behind walks through each of them in turn.
   */
  constructor(
    private readonly file: string,
    private readonly conn: Connection,
    private readonly commitsPerGeneration: number = 0,
  ) {
    const pageSize = Number(conn.pragma('page_size', { simple: true }));
    if (pageSize !== PAGE_SIZE) throw new Error(`embedded replicas need ${PAGE_SIZE}-byte pages; this database has ${pageSize}`);
    // Both in the same synchronous step: the image holds every commit up to the WAL's end.
    this.#generations.set(1, { base: conn.serialize(), frames: [] });
    this.#take(false);
  }

  get generation(): number {
    return this.#generation;
  }

  /** The image a replica starts `generation` from; undefined for one never served. */
  export(generation: number = this.#generation): Buffer | undefined {
    return this.#generations.get(generation)?.base;
  }

  /** The last frame of `generation` (of the current one by default); undefined for an unknown generation. */
  lastFrame(generation: number = this.#generation): number | undefined {
    return this.#generations.get(generation)?.frames.length;
  }

  /** Frames `from` (1-based) up to, not including, `to`, of `generation`, as one body; empty past the end. */
  frames(generation: number, from: number, to: number): Buffer {
    const frames = this.#generations.get(generation)?.frames ?? [];
    const end = Math.min(to - 1, frames.length);
    return from > end ? Buffer.alloc(0) : Buffer.concat(frames.slice(from - 1, end));
  }

  /** Called after every commit on the database: copies the frames the commit appended to the WAL. */
  capture(): void {
    this.#take(true);
    if (this.commitsPerGeneration > 0 && ++this.#commitsInGeneration >= this.commitsPerGeneration) this.newGeneration();
  }

  /** Ends the current generation: the next starts from the database as it is now, its frames from 1. */
  newGeneration(): void {
    this.#take(true);
    this.#generation += 1;
    this.#generations.set(this.#generation, { base: this.conn.serialize(), frames: [] });
    this.#commitsInGeneration = 0;
  }

  #take(keep: boolean): void {
    let fd: number;
    try {
      fd = openSync(`${this.file}-wal`, 'r');
    } catch {
      return; // No WAL yet (or checkpointed away): nothing was written since.
    }
    const current = this.#generations.get(this.#generation) as Generation;
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
          if (keep) current.frames.push(...pending);
          this.#walFramesTaken = index + 1;
          pending.length = 0;
        }
      }
    } finally {
      closeSync(fd);
    }
  }
}
