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
}

/** A job waiting for its answer, for `lost` to settle when its helper ends while running it. */
export interface PendingJob<Job> {
  readonly job: Job;
  readonly resolve: (result: unknown) => void;
  readonly reject: (error: unknown) => void;
}

/** The side of one helper (a worker thread or a child process) that the channel talks to. */
export interface HelperEndpoint<Failure> {
  send(message: { id: number; job: unknown }): void;
  /** Whether the helper keeps this process's event loop alive. */
  hold(busy: boolean): void;
  onReply(listener: (reply: HelperReply<Failure>) => void): void;
  /** Called once or more (an 'error' may come before the 'exit'). */
  onEnd(listener: (end: HelperEnd) => void): void;
}

export interface HelperChannelOptions<Job, Failure> {
  /** Starts a helper: at the first job, and at the next job after a helper ended. */
  start(): HelperEndpoint<Failure>;
  /** The error a failure reply becomes in this process. */
  failed(failure: Failure): unknown;
  /** Settles the job a helper was running when it ended. */
  lost(pending: PendingJob<Job>, end: HelperEnd): void;
}

/**
 * One helper that runs jobs in order, started on first use and kept; it holds this process
 * open only while a job is in flight, so an idle helper never keeps a process alive. A helper
 * that ends fails the job it was running (`lost`), its queued jobs go to a new one, and a late
 * 'exit' of an old helper touches nothing of the one that took its place.
 */
export class HelperChannel<Job, Failure> {
  readonly #options: HelperChannelOptions<Job, Failure>;
  #current: { readonly helper: HelperEndpoint<Failure>; readonly pending: Map<number, PendingJob<Job>> } | undefined;
  #nextId = 1;

  constructor(options: HelperChannelOptions<Job, Failure>) {
    this.#options = options;
  }

  run(job: Job): Promise<unknown> {
    return new Promise((resolve, reject) => this.#send({ job, resolve, reject }));
  }

  #send(pending: PendingJob<Job>): void {
    const { helper, pending: jobs } = this.#start();
    const id = this.#nextId++;
    jobs.set(id, pending);
    if (jobs.size === 1) helper.hold(true);
    try {
      helper.send({ id, job: pending.job });
    } catch (error) {
      // A job that cannot be sent (not cloneable, the channel closing) must not stay pending:
      // a pending job holds the process open.
      jobs.delete(id);
      if (jobs.size === 0) helper.hold(false);
      pending.reject(error);
    }
  }

  #start(): { readonly helper: HelperEndpoint<Failure>; readonly pending: Map<number, PendingJob<Job>> } {
    if (this.#current) return this.#current;
    const helper = this.#options.start();
    const pending = new Map<number, PendingJob<Job>>();
    const current = { helper, pending };
    helper.onReply((reply) => {
      const job = pending.get(reply.id);
      pending.delete(reply.id);
      if (pending.size === 0) helper.hold(false);
      if (!job) return;
      if (reply.ok) job.resolve(reply.result);
      else job.reject(this.#options.failed(reply.error));
    });
    helper.onEnd((end) => {
      if (this.#current === current) this.#current = undefined;
      // A helper runs its jobs in order: the oldest was running when it ended and is the one
      // that may have ended it (a runaway, the memory limit). The others never ran, so they go
      // to the next helper instead of failing for another job's file.
      const [running, ...queued] = pending.values();
      pending.clear();
      helper.hold(false);
      if (running) this.#options.lost(running, end);
      for (const job of queued) this.#send(job);
    });
    // After the listeners: a worker's 'message' listener refs it again.
    helper.hold(false);
    this.#current = current;
    return current;
  }
}

export function workerEndpoint<Failure>(worker: Worker): HelperEndpoint<Failure> {
  return {
    send: (message) => worker.postMessage(message),
    hold: (busy) => (busy ? worker.ref() : worker.unref()),
    onReply: (listener) => worker.on('message', listener),
    onEnd: (listener) => {
      worker.on('error', (error) => listener({ signal: null, reason: error.message, error }));
      worker.on('exit', (code) => listener({ signal: null, reason: `exit code ${code}` }));
    },
  };
}

export function processEndpoint<Failure>(child: ChildProcess): HelperEndpoint<Failure> {
  return {
    send: (message) => child.send(message),
    hold: (busy) => refWhileBusy(child, busy),
    onReply: (listener) => child.on('message', listener),
    onEnd: (listener) => {
      child.on('exit', (code, signal) => listener({ signal, reason: signal ?? `exit code ${code}` }));
      child.on('error', (error) => listener({ signal: null, reason: error.message, error }));
    },
  };
}
