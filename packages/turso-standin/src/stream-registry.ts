import { createHmac, randomBytes } from 'node:crypto';
import type { SqlStream } from './sql-stream';

/** What the registry needs of a stream: the stand-in's SqlStream, or silo serve's remote one. */
export interface ClosableStream {
  readonly closed: boolean;
  close(): void;
}

interface Entry<S extends ClosableStream> {
  id: string;
  /** Who may continue the stream: a baton is refused for any other (`take`). */
  databaseId: string;
  /** What the stream counts against (`openFor`). */
  countedAs: string;
  stream: S;
  /** The baton the next request must carry; undefined while a request is running. */
  expectedBaton: string | undefined;
  counter: number;
  timer: NodeJS.Timeout | undefined;
}

export type TakeResult<S extends ClosableStream = SqlStream> =
  | { kind: 'ok'; entry: Entry<S> }
  | { kind: 'expired' }
  | { kind: 'invalid' };

/** Expired stream ids are remembered this long, to tell "expired" from "never existed". */
const EXPIRED_MEMORY_MS = 10 * 60_000;

/**
 * Streams kept across HTTP requests, addressed by batons (HTTP_V2_SPEC.md "Execute requests
 * on a stream"). A baton is `<stream id>.<counter>.<HMAC>`: unforgeable, and different in
 * every response, so a replayed or concurrent request is refused. Idle streams expire.
 */
export class StreamRegistry<S extends ClosableStream = SqlStream> {
  readonly #entries = new Map<string, Entry<S>>();
  /** Open streams per database (or whatever `add` counts them as), for a caller that caps them (`openFor`). */
  readonly #open = new Map<string, number>();
  readonly #expired = new Map<string, number>();
  readonly #secret = randomBytes(32);
  /** Stream ids need only be unique: the baton's HMAC is what cannot be guessed. */
  readonly #idPrefix = randomBytes(6).toString('hex');
  #nextId = 0;

  constructor(private readonly idleMs: number) {}

  /**
   * `countedAs`: the key its open streams are counted under, when one database is reached by
   * several kinds of credential (silo serve's instance and jurisdiction tokens) and a cap must
   * hold for all of them together.
   */
  add(databaseId: string, stream: S, countedAs: string = databaseId): Entry<S> {
    const entry: Entry<S> = {
      id: `${this.#idPrefix}${(this.#nextId++).toString(36)}`,
      databaseId,
      countedAs,
      stream,
      expectedBaton: undefined,
      counter: 0,
      timer: undefined,
    };
    this.#entries.set(entry.id, entry);
    this.#open.set(countedAs, this.openFor(countedAs) + 1);
    return entry;
  }

  /** How many streams counted as this are open (running a request or waiting for the next). */
  openFor(countedAs: string): number {
    return this.#open.get(countedAs) ?? 0;
  }

  #forget(entry: Entry<S>): void {
    if (!this.#entries.delete(entry.id)) return;
    const left = this.openFor(entry.countedAs) - 1;
    if (left > 0) this.#open.set(entry.countedAs, left);
    else this.#open.delete(entry.countedAs);
  }

  /** Claims the stream a baton names; the baton is spent (a new one comes with the response). */
  take(baton: string, databaseId: string): TakeResult<S> {
    const id = baton.split('.')[0] ?? '';
    const entry = this.#entries.get(id);
    if (entry === undefined) return this.#expired.has(id) ? { kind: 'expired' } : { kind: 'invalid' };
    if (entry.expectedBaton !== baton || entry.databaseId !== databaseId) return { kind: 'invalid' };
    entry.expectedBaton = undefined;
    if (entry.timer !== undefined) clearTimeout(entry.timer);
    entry.timer = undefined;
    return { kind: 'ok', entry };
  }

  /** After a request: a fresh baton and a fresh idle timer, or null once the stream closed. */
  release(entry: Entry<S>): string | null {
    if (entry.stream.closed) {
      this.#forget(entry);
      return null;
    }
    entry.counter += 1;
    const body = `${entry.id}.${entry.counter}`;
    entry.expectedBaton = `${body}.${createHmac('sha256', this.#secret).update(body).digest('base64url')}`;
    entry.timer = setTimeout(() => this.#expire(entry), this.idleMs);
    entry.timer.unref();
    return entry.expectedBaton;
  }

  closeDatabase(databaseId: string): void {
    for (const entry of [...this.#entries.values()]) {
      if (entry.databaseId === databaseId) this.#drop(entry);
    }
  }

  closeAll(): void {
    for (const entry of [...this.#entries.values()]) this.#drop(entry);
  }

  #expire(entry: Entry<S>): void {
    this.#drop(entry);
    const now = Date.now();
    this.#expired.set(entry.id, now);
    for (const [id, at] of this.#expired) {
      if (now - at > EXPIRED_MEMORY_MS) this.#expired.delete(id);
    }
  }

  #drop(entry: Entry<S>): void {
    if (entry.timer !== undefined) clearTimeout(entry.timer);
    entry.stream.close();
    this.#forget(entry);
  }
}
