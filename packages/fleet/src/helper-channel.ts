import type { ChildProcess } from 'node:child_process';
import type { Worker } from 'node:worker_threads';
import { refWhileBusy } from './child-ref';

/** A helper's answer to one job; its `error` shape is the helper's own. */
export type HelperReply<Failure> = { id: number; ok: true; result: unknown } | { id: number; ok: false; error: Failure };

/** How a helper ended: the signal that ended a process, and words for a message. */
export interface HelperEnd {
  readonly signal: NodeJS.Signals | null;
  readonly reason: string;
  /** The helper's own error, when it ended with one ('error' event). */
  readonly error?: unknown;
  /** Set when the channel stopped the helper because the job it was running ran past its time limit. */
  readonly timedOut?: { readonly limitMs: number };
}

/** A job waiting for its answer, for `lost` to settle when its helper ends while running it. */
export interface PendingJob<Job> {
  readonly job: Job;
  readonly resolve: (result: unknown) => void;
  readonly reject: (error: unknown) => void;
}

/** What a helper that says when it can take jobs sends first (see `HelperEndpoint.onReady`). */
interface HelperReady {
  readonly ready: true;
}

/** The side of one helper (a worker thread or a child process) that the channel talks to. */
export interface HelperEndpoint<Failure> {
  send(message: { id: number; job: unknown }): void;
  /** Whether the helper keeps this process's event loop alive. */
  hold(busy: boolean): void;
  /** Ends the helper at once, whatever it is running (its 'exit' still follows, through `onEnd`). */
  stop(): void;
  onReply(listener: (reply: HelperReply<Failure>) => void): void;
  /**
   * For a helper that says when it has loaded and can take jobs: time limits count from then,
   * so a start-up slowed by a busy machine is not taken from the first job's time. Without it,
   * a job's time counts from when it is sent.
   */
  onReady?(listener: () => void): void;
  /** Called once or more (an 'error' may come before the 'exit'). */
  onEnd(listener: (end: HelperEnd) => void): void;
}

export interface HelperChannelOptions<Job, Failure> {
  /** Starts a helper: at the first job, and at the next job after a helper ended. */
  start(): HelperEndpoint<Failure>;
  /** The error a failure reply becomes in this process. */
  failed(failure: Failure): unknown;
  /** Settles the job a helper was running when it ended, or when it was stopped at the job's time limit (`end.timedOut`). */
  lost(pending: PendingJob<Job>, end: HelperEnd): void;
  /**
   * How long a job may run, in ms; undefined (or no function) for no limit. Asked once, when
   * the job is handed to the channel. A job's clock starts when it becomes the job its helper
   * is running (the oldest unanswered one), not when it was queued behind others.
   */
  timeLimitMs?(job: Job): number | undefined;
}

/** A job handed to the channel, with its time limit (asked once, kept if it moves to a new helper). */
interface QueuedJob<Job> extends PendingJob<Job> {
  readonly limitMs: number | undefined;
}

/** One helper and what it was sent. */
interface Current<Job, Failure> {
  readonly helper: HelperEndpoint<Failure>;
  /** By id, in the order sent: the first is the one the helper is running. */
  readonly pending: Map<number, QueuedJob<Job>>;
  /** Whether time limits run: at once, or once the helper said so (onReady). */
  ready: boolean;
  /** The running job's time limit, while one counts. */
  clock: { readonly id: number; readonly timer: NodeJS.Timeout } | undefined;
}

/**
 * One helper that runs jobs in order, started on first use and kept; it holds this process
 * open only while a job is in flight, so an idle helper never keeps a process alive. A helper
 * that ends fails the job it was running (`lost`), its queued jobs go to a new one, and a late
 * 'exit' of an old helper touches nothing of the one that took its place. A job that runs past
 * its time limit (`timeLimitMs`) is treated the same way: its helper is stopped, as if it had
 * ended, so the jobs queued behind it do not wait for a helper that may never answer.
 */
export class HelperChannel<Job, Failure> {
  readonly #options: HelperChannelOptions<Job, Failure>;
  #current: Current<Job, Failure> | undefined;
  #nextId = 1;

  constructor(options: HelperChannelOptions<Job, Failure>) {
    this.#options = options;
  }

  run(job: Job): Promise<unknown> {
    // Inside the executor: a limit that cannot be worked out rejects this job, not the caller's stack.
    return new Promise((resolve, reject) => this.#send({ job, resolve, reject, limitMs: this.#options.timeLimitMs?.(job) }));
  }

  #send(queued: QueuedJob<Job>): void {
    const current = this.#start();
    const { helper, pending: jobs } = current;
    const id = this.#nextId++;
    jobs.set(id, queued);
    if (jobs.size === 1) helper.hold(true);
    try {
      helper.send({ id, job: queued.job });
    } catch (error) {
      // A job that cannot be sent (not cloneable, the channel closing) must not stay pending:
      // a pending job holds the process open.
      jobs.delete(id);
      if (jobs.size === 0) helper.hold(false);
      queued.reject(error);
    }
    this.#wind(current);
  }

  #start(): Current<Job, Failure> {
    if (this.#current) return this.#current;
    const helper = this.#options.start();
    const pending = new Map<number, QueuedJob<Job>>();
    const current: Current<Job, Failure> = { helper, pending, ready: helper.onReady === undefined, clock: undefined };
    helper.onReply((reply) => {
      const job = pending.get(reply.id);
      pending.delete(reply.id);
      if (pending.size === 0) helper.hold(false);
      this.#wind(current);
      if (!job) return;
      if (reply.ok) job.resolve(reply.result);
      else job.reject(this.#options.failed(reply.error));
    });
    helper.onReady?.(() => {
      current.ready = true;
      this.#wind(current);
    });
    helper.onEnd((end) => this.#end(current, end));
    // After the listeners: a worker's 'message' listener refs it again.
    helper.hold(false);
    this.#current = current;
    return current;
  }

  /**
   * Keeps the clock on the job the helper is running (the oldest unanswered one): a new clock
   * when that job changed, none while the helper is not ready or runs nothing. The timer is
   * unref'd: while a job is in flight its helper holds the process open anyway, and once
   * nothing is in flight no timer of the channel may.
   */
  #wind(current: Current<Job, Failure>): void {
    const first = current.pending.entries().next();
    const running = first.done ? undefined : first.value;
    if (current.clock && current.clock.id === running?.[0]) return;
    if (current.clock) clearTimeout(current.clock.timer);
    current.clock = undefined;
    if (!running || !current.ready) return;
    const [id, { limitMs }] = running;
    if (limitMs === undefined) return;
    const timer = setTimeout(() => this.#timedOut(current, id, limitMs), limitMs);
    timer.unref();
    current.clock = { id, timer };
  }

  #timedOut(current: Current<Job, Failure>, id: number, limitMs: number): void {
    // Answered (or ended) in the same turn as the timer fired: nothing to stop.
    if (current.clock?.id !== id) return;
    current.helper.stop();
    // Settled now rather than at the helper's 'exit': a worker thread inside a native call
    // ends only when that call returns, and the queued jobs should not wait for it.
    this.#end(current, { signal: null, reason: `time limit of ${limitMs} ms`, timedOut: { limitMs } });
  }

  #end(current: Current<Job, Failure>, end: HelperEnd): void {
    if (this.#current === current) this.#current = undefined;
    if (current.clock) clearTimeout(current.clock.timer);
    current.clock = undefined;
    // A helper runs its jobs in order: the oldest was running when it ended and is the one
    // that may have ended it (a runaway, the memory limit, its time limit). The others never
    // ran, so they go to the next helper instead of failing for another job's file.
    const [running, ...queued] = current.pending.values();
    current.pending.clear();
    current.helper.hold(false);
    if (running) this.#options.lost(running, end);
    for (const job of queued) this.#send(job);
  }
}

export function workerEndpoint<Failure>(worker: Worker): HelperEndpoint<Failure> {
  return {
    send: (message) => worker.postMessage(message),
    hold: (busy) => (busy ? worker.ref() : worker.unref()),
    stop: () => void worker.terminate(),
    onReply: (listener) => worker.on('message', listener),
    onEnd: (listener) => {
      worker.on('error', (error) => listener({ signal: null, reason: error.message, error }));
      worker.on('exit', (code) => listener({ signal: null, reason: `exit code ${code}` }));
    },
  };
}

/**
 * A child process as a helper. With `announcesReady`, the child sends `{ ready: true }` once it
 * has loaded (HelperReady), and time limits count from then.
 */
export function processEndpoint<Failure>(child: ChildProcess, options: { readonly announcesReady?: boolean } = {}): HelperEndpoint<Failure> {
  return {
    send: (message) => child.send(message),
    hold: (busy) => refWhileBusy(child, busy),
    stop: () => child.kill('SIGKILL'),
    onReply: (listener) =>
      child.on('message', (message: HelperReply<Failure> | HelperReady) => {
        if (!('ready' in message)) listener(message);
      }),
    ...(options.announcesReady
      ? {
          onReady: (listener: () => void) =>
            child.on('message', (message: HelperReply<Failure> | HelperReady) => {
              if ('ready' in message) listener();
            }),
        }
      : {}),
    onEnd: (listener) => {
      child.on('exit', (code, signal) => listener({ signal, reason: signal ?? `exit code ${code}` }));
      child.on('error', (error) => listener({ signal: null, reason: error.message, error }));
    },
  };
}
