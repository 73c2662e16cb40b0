import { fork, type ChildProcess } from 'node:child_process';
import { HttpError, classifyStatement, type ClosableStream, type StreamOptions, type StreamRequest, type StreamResult } from '@silo/turso-standin/hrana';
import type { FromHost, ToHost } from './host-protocol';
import { MEMORY_LIMIT_SIGNAL, childModulePath, memoryLimitFlags, memoryLimitMessage, refWhileBusy, sourceExecArgv } from '@silo/fleet/internal';

/** From sources the host is TypeScript, run under tsx; a build ships it as stream-host.mjs beside this module. */
const HOST_PATH = childModulePath(import.meta.url, 'stream-host');
const HOST_EXEC_ARGV = sourceExecArgv(import.meta.url);
/** A host that has said nothing this long after its first request is taken for one that cannot start. */
const HOST_START_TIMEOUT_MS = 30_000;

export interface StreamSpec {
  /** The instance's catalog id: connections are reused per instance (connection-pool.ts). */
  readonly instanceId: string;
  readonly file: string;
  readonly readOnly: boolean;
  readonly maxBytes: number | undefined;
  readonly options: StreamOptions;
  /**
   * Each request's time limit: the host process is killed once it has said nothing for this
   * long while it owes an answer (see StreamHost's watchdog).
   */
  readonly timeoutMs: number;
  readonly onCommit: () => void;
  /** Runs once when the stream ends, however it ends. */
  readonly onClose: () => void;
}

function errorResult(message: string, code: string): StreamResult {
  return { type: 'error', error: { message, code } };
}

export function errorResults(count: number, message: string, code: string): StreamResult[] {
  return Array.from({ length: count }, () => errorResult(message, code));
}

/** A Hrana stream that lives in a host process; the endpoint's registry holds these. */
export class RemoteStream implements ClosableStream {
  #closed = false;
  /** Whether the host has begun a request of this stream: from then on it has state there. */
  #started = false;
  /** Whether the stream's current host has been told to open it (with its first request). */
  opened = false;

  constructor(
    private host: StreamHost,
    readonly id: number,
    readonly spec: StreamSpec,
  ) {}

  get closed(): boolean {
    return this.#closed;
  }

  /**
   * A stream the host never began anything of can start over on another host; so can one whose
   * first requests only read (they are not announced, see dispatch): they left no state there.
   */
  get movable(): boolean {
    return !this.#started && !this.#closed;
  }

  /**
   * Runs the requests in order on the host, in one round trip. The time limit is per statement
   * (or batch), however many the pipeline holds: the host says it is alive between them
   * (`progress`), so a pipeline of runaways is stopped at the first one's limit, not at the sum
   * of theirs. A request refused as a whole (HttpError) rejects.
   */
  handle(requests: StreamRequest[]): Promise<StreamResult[]> {
    if (this.#closed) return Promise.resolve(errorResults(requests.length, 'The stream is closed', 'STREAM_CLOSED'));
    return this.host.request(this, requests, this.spec.timeoutMs);
  }

  close(): void {
    if (this.#closed) return;
    this.host.send({ type: 'close', stream: this.id });
    this.ended();
  }

  /** The stream is gone on the host's side (closed there, or the process died). */
  ended(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.host.forget(this);
    this.spec.onClose();
  }

  started(): void {
    this.#started = true;
  }

  moveTo(host: StreamHost): void {
    this.host = host;
  }

  committed(): void {
    this.spec.onCommit();
  }
}

/** A request sent to a host and not answered yet. */
export interface Pending {
  readonly stream: RemoteStream;
  readonly requests: StreamRequest[];
  readonly timeoutMs: number;
  readonly resolve: (results: StreamResult[]) => void;
  readonly reject: (error: unknown) => void;
}

/** A request on its way through a host: when it was sent, for the watchdog. */
type Sent = Pending & { readonly sentAt: number };

/**
 * One host process and the streams it runs.
 *
 * The time limit is a watchdog on the process, not a clock per request. The host runs many
 * streams' requests, one after the other, and a request that waits behind others is not
 * running away: counting its wait against its limit killed a healthy host (and every stream on
 * it) under a burst of legitimate work. What a runaway does is block the host's one thread in
 * a SQLite call, so it says nothing at all: no answer, no `started`, no `commit`. So the host
 * is killed when it has been silent, while it owes answers, for longer than the longest limit
 * among them. Every wait inside the host is bounded on its own (the busy timeout per statement,
 * the transaction timeout), so a host that keeps answering always gets to each request.
 */
class StreamHost {
  readonly #child: ChildProcess;
  readonly #streams = new Map<number, RemoteStream>();
  /** Requests sent and not answered, oldest first. */
  readonly #pending = new Map<number, Sent>();
  #startTimer: NodeJS.Timeout | undefined;
  #watchdog: NodeJS.Timeout | undefined;
  /** When the armed watchdog fires (performance.now()). */
  #watchdogAt = 0;
  /** When the process last said anything (performance.now()). */
  #lastHeard = 0;
  #nextRequest = 1;
  #dead = false;
  /** Whether the process ever answered: one that dies before its first answer failed to start. */
  answered = false;

  /**
   * `onGone` gets the requests the host never began, of streams that may start over elsewhere.
   * `maxMemoryBytes`: the process's memory limit (memory-limit.ts in @silo/fleet).
   */
  constructor(
    maxMemoryBytes: number | undefined,
    private readonly onGone: (host: StreamHost, movable: Pending[]) => void,
  ) {
    this.#child = fork(HOST_PATH, [], { execArgv: [...HOST_EXEC_ARGV, ...memoryLimitFlags(maxMemoryBytes)], serialization: 'advanced', stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    this.#child.on('message', (message: FromHost) => this.#receive(message));
    this.#child.on('exit', (_code, signal) => {
      if (signal === MEMORY_LIMIT_SIGNAL && maxMemoryBytes !== undefined) this.#overMemory(maxMemoryBytes);
      else this.#gone('The stream host process exited');
    });
    this.#child.on('error', (error) => this.#gone(error.message));
    refWhileBusy(this.#child, false);
  }

  get load(): number {
    return this.#dead ? Infinity : this.#streams.size;
  }

  open(id: number, spec: StreamSpec): RemoteStream {
    const stream = new RemoteStream(this, id, spec);
    this.adopt(stream);
    return stream;
  }

  /** Runs the stream here; the host opens it with its first request (one message, no round trip). */
  adopt(stream: RemoteStream): void {
    stream.moveTo(this);
    stream.opened = false;
    this.#streams.set(stream.id, stream);
  }

  request(stream: RemoteStream, requests: StreamRequest[], timeoutMs: number): Promise<StreamResult[]> {
    return new Promise<StreamResult[]>((resolve, reject) => this.dispatch({ stream, requests, timeoutMs, resolve, reject }));
  }

  dispatch(pending: Pending): void {
    if (this.#dead) {
      pending.stream.ended();
      pending.resolve(errorResults(pending.requests.length, 'The stream is closed', 'STREAM_CLOSED'));
      return;
    }
    const id = this.#nextRequest++;
    this.#pending.set(id, { ...pending, sentAt: performance.now() });
    // The watchdog starts once the process runs: a host that is still starting (a replacement
    // for one killed at a limit takes a second or more from sources) must not make requests it
    // never began report STATEMENT_TIMEOUT, nor be killed for it.
    if (this.answered) this.#watch(pending.timeoutMs);
    else if (this.#startTimer === undefined) this.#startTimer = setTimeout(() => this.#child.kill('SIGKILL'), HOST_START_TIMEOUT_MS).unref();
    refWhileBusy(this.#child, true);
    const { stream } = pending;
    const open = stream.opened ? undefined : { instanceId: stream.spec.instanceId, file: stream.spec.file, readOnly: stream.spec.readOnly, maxBytes: stream.spec.maxBytes, options: stream.spec.options };
    stream.opened = true;
    // A stream's first requests that only read leave nothing behind if the host dies mid-way:
    // they may run again elsewhere, so the host need not say it began them. That is most of an
    // app's calls (execute a SELECT, close), and saves each a message and a wake-up.
    const announce = open === undefined || !pending.requests.every(harmlessToRepeat);
    this.send({ type: 'requests', id, stream: stream.id, requests: pending.requests, announce, ...(open === undefined ? {} : { open }) });
  }

  send(message: ToHost): void {
    if (!this.#dead) this.#child.send(message);
  }

  forget(stream: RemoteStream): void {
    this.#streams.delete(stream.id);
  }

  kill(): void {
    this.#child.kill('SIGKILL');
    this.#gone('The server is shutting down', false);
  }

  #receive(message: FromHost): void {
    this.#lastHeard = performance.now();
    if (!this.answered) this.#started();
    if (message.type === 'commit') {
      this.#streams.get(message.stream)?.committed();
      return;
    }
    // Heard from (above) is all a pipeline's progress means here.
    if (message.type === 'progress') return;
    const pending = this.#pending.get(message.id);
    if (pending === undefined) return;
    if (message.type === 'started') {
      pending.stream.started();
      return;
    }
    this.#settle(message.id);
    if (message.closed) pending.stream.ended();
    if (message.httpError) pending.reject(new HttpError(message.httpError.status, message.httpError.body));
    else if (message.results) pending.resolve(message.results);
    else pending.reject(new Error(message.failure ?? 'The stream failed'));
  }

  /** Has the watchdog look again after `delayMs` at most (sooner if it is already due sooner). */
  #watch(delayMs: number): void {
    const at = performance.now() + delayMs;
    if (this.#watchdog !== undefined && at >= this.#watchdogAt) return;
    clearTimeout(this.#watchdog);
    this.#watchdogAt = at;
    this.#watchdog = setTimeout(() => this.#check(), delayMs);
  }

  /**
   * The watchdog: has the process been silent, while it owes answers, past the longest limit
   * among them? Silence counts from its last message, or from when the oldest request it owes
   * was sent if that is later (an idle host says nothing, rightly). It looks again at least
   * every shortest limit, so a limit that shrinks as long requests are answered is kept.
   */
  #check(): void {
    this.#watchdog = undefined;
    const oldest = this.#pending.entries().next().value;
    if (oldest === undefined) return;
    let longest = 0;
    let shortest = Infinity;
    for (const pending of this.#pending.values()) {
      longest = Math.max(longest, pending.timeoutMs);
      shortest = Math.min(shortest, pending.timeoutMs);
    }
    const silentFor = performance.now() - Math.max(this.#lastHeard, oldest[1].sentAt);
    if (silentFor >= longest) this.#timeout(oldest[0], oldest[1]);
    else this.#watch(Math.min(longest - silentFor, shortest));
  }

  /**
   * SQLite cannot be stopped from outside the process running it: the process goes. Streams
   * that had begun something there end (their transactions roll back, as when a connection
   * drops); requests it never began start over on another host. The stop is reported on the
   * oldest request owed: the host runs requests in the order sent, and one that waits for a
   * lock yields to the others, so the one that blocks it is that one but for such an overlap.
   */
  #timeout(id: number, pending: Sent): void {
    // Which request of the pipeline ran away is not known here: every one reports the stop.
    this.#stopOldest(id, pending, `The statement was stopped at the time limit (${pending.timeoutMs} ms)`, 'STATEMENT_TIMEOUT');
    this.#child.kill('SIGKILL');
    this.#gone('Another statement on the same host process ran past its time limit; the stream was closed');
  }

  /**
   * The process ended itself past its memory limit. As at the time limit, the statement to
   * blame is taken to be the oldest request owed; the requests it never began start over.
   */
  #overMemory(maxBytes: number): void {
    const oldest = this.#pending.entries().next().value;
    if (oldest !== undefined) {
      this.#stopOldest(oldest[0], oldest[1], `The statement was stopped: ${memoryLimitMessage(maxBytes)}`, 'STATEMENT_MEMORY_LIMIT');
    }
    this.#gone('Another statement on the same host process ran past its memory limit; the stream was closed');
  }

  #stopOldest(id: number, pending: Sent, message: string, code: string): void {
    this.#settle(id);
    pending.resolve(errorResults(pending.requests.length, message, code));
    pending.stream.ended();
  }

  /** The process answered for the first time: silence is counted from now. */
  #started(): void {
    this.answered = true;
    clearTimeout(this.#startTimer);
    const first = this.#pending.values().next().value;
    if (first !== undefined) this.#watch(first.timeoutMs);
  }

  #settle(id: number): void {
    this.#pending.delete(id);
    if (this.#pending.size === 0) {
      clearTimeout(this.#watchdog);
      this.#watchdog = undefined;
      refWhileBusy(this.#child, false);
    }
  }

  #gone(reason: string, moveUnstarted = true): void {
    if (this.#dead) return;
    this.#dead = true;
    clearTimeout(this.#startTimer);
    clearTimeout(this.#watchdog);
    const movable: Pending[] = [];
    for (const [id, pending] of [...this.#pending]) {
      this.#settle(id);
      if (moveUnstarted && pending.stream.movable) {
        this.#streams.delete(pending.stream.id);
        movable.push(pending);
      } else {
        pending.resolve(errorResults(pending.requests.length, reason, 'STREAM_CLOSED'));
      }
    }
    for (const stream of [...this.#streams.values()]) stream.ended();
    this.onGone(this, movable);
  }

}

/**
 * A few host processes; a new stream goes to the one running the fewest. A host killed at a
 * time limit is replaced by the next stream that needs one.
 */
export class StreamHosts {
  readonly #hosts = new Set<StreamHost>();
  #nextStream = 1;
  #closed = false;
  /** Hosts in a row that died before answering anything: a host that cannot start at all. */
  #failedStarts = 0;

  constructor(
    private readonly size: number,
    private readonly maxMemoryBytes?: number,
  ) {}

  open(spec: StreamSpec): RemoteStream {
    if (this.#closed) throw new Error('The libSQL endpoint is closed');
    return this.#pick().open(this.#nextStream++, spec);
  }

  close(): void {
    this.#closed = true;
    for (const host of [...this.#hosts]) host.kill();
  }

  #pick(): StreamHost {
    let best: StreamHost | undefined;
    for (const host of this.#hosts) if (best === undefined || host.load < best.load) best = host;
    if (best !== undefined && (best.load === 0 || this.#hosts.size >= this.size)) return best;
    const host = new StreamHost(this.maxMemoryBytes, (gone, movable) => this.#gone(gone, movable));
    this.#hosts.add(host);
    return host;
  }

  #gone(host: StreamHost, movable: Pending[]): void {
    this.#hosts.delete(host);
    this.#failedStarts = host.answered ? 0 : this.#failedStarts + 1;
    // Moving requests on to another host that cannot start either would loop for ever
    // (a missing module, a broken install): after two such hosts in a row, answer.
    const unstartable = this.#failedStarts >= 2;
    for (const pending of movable) {
      if (this.#closed || unstartable) {
        pending.stream.ended();
        const reason = this.#closed ? 'The server is shutting down' : 'The stream host process exits as it starts; see the server log';
        pending.resolve(errorResults(pending.requests.length, reason, this.#closed ? 'STREAM_CLOSED' : 'SERVER_ERROR'));
        continue;
      }
      const next = this.#pick();
      next.adopt(pending.stream);
      next.dispatch(pending);
    }
  }
}

/** A request that changes nothing when run twice: closing, or one SELECT (sqld's `read` kind). */
function harmlessToRepeat(request: StreamRequest): boolean {
  if (request.type === 'close') return true;
  return request.type === 'execute' && typeof request.stmt.sql === 'string' && classifyStatement(request.stmt.sql) === 'read';
}
