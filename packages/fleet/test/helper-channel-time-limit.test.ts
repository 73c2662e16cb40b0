import { fork, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { HelperChannel, processEndpoint, workerEndpoint, type HelperEnd, type HelperEndpoint } from '../src/helper-channel';

/**
 * The time limit of HelperChannel's jobs (ADR 42), over real worker threads and child
 * processes (fixtures/spin-helper.mjs, whose `spin` keeps the helper busy as a long SQLite call
 * does): a job that runs past its limit has its helper stopped, and the jobs queued behind it
 * go on in a new one.
 */

type Job = { kind: 'echo'; value: string; limitMs?: number } | { kind: 'spin' | 'delay'; ms: number; limitMs?: number };
/** A helper a test started, and how it ended (listened for from its start): a worker's exit code, a process's signal. */
type Helper = ({ kind: 'worker'; worker: Worker } | { kind: 'process'; child: ChildProcess }) & { ended: Promise<unknown> };

const started: Helper[] = [];

afterEach(async () => {
  for (const helper of started.splice(0)) {
    if (helper.kind === 'worker') await helper.worker.terminate();
    else helper.child.kill('SIGKILL');
  }
});

/** A channel whose jobs carry their own limit, recording the helpers it started and the jobs it lost. */
function timedChannel(kind: Helper['kind'], endpoint?: () => HelperEndpoint<{ message: string }>) {
  const helpers: Helper[] = [];
  const lost: { job: Job; end: HelperEnd }[] = [];
  const channel = new HelperChannel<Job, { message: string }>({
    start:
      endpoint ??
      (() => {
        if (kind === 'worker') {
          const worker = new Worker(new URL('./fixtures/spin-helper.mjs', import.meta.url));
          const helper: Helper = { kind, worker, ended: once(worker, 'exit').then(([code]: unknown[]) => code) };
          helpers.push(helper);
          started.push(helper);
          return workerEndpoint(worker);
        }
        const child = fork(fileURLToPath(new URL('./fixtures/spin-helper.mjs', import.meta.url)), [], { execArgv: [], serialization: 'advanced' });
        const helper: Helper = { kind, child, ended: once(child, 'exit').then(([, signal]: unknown[]) => signal) };
        helpers.push(helper);
        started.push(helper);
        return processEndpoint(child);
      }),
    failed: (failure) => new Error(`helper: ${failure.message}`),
    lost: (pending, end) => {
      lost.push({ job: pending.job, end });
      pending.reject(new Error(end.timedOut ? `stopped after ${end.timedOut.limitMs} ms` : `lost (${end.reason})`));
    },
    timeLimitMs: (job) => job.limitMs,
  });
  return { channel, helpers, lost };
}

const STUCK = { kind: 'spin', ms: 60_000 } as const;

describe.each(['worker', 'process'] as const)('HelperChannel time limits over a %s', (kind) => {
  it('stops the helper of a job that runs past its limit, tells `lost` so, and runs the job queued behind it on a new helper', { timeout: 20_000 }, async () => {
    const { channel, helpers, lost } = timedChannel(kind);
    const stuck = channel.run({ ...STUCK, limitMs: 300 });
    const queued = channel.run({ kind: 'echo', value: 'queued', limitMs: 10_000 });
    const first = helpers[0];
    await expect(stuck).rejects.toThrow('stopped after 300 ms');
    expect(await queued).toBe('queued');
    expect(lost).toEqual([{ job: { ...STUCK, limitMs: 300 }, end: expect.objectContaining({ timedOut: { limitMs: 300 } }) }]);
    expect(helpers).toHaveLength(2);
    // Really stopped: a worker terminated ends with exit code 1, a process by SIGKILL.
    expect(await first?.ended).toBe(kind === 'worker' ? 1 : 'SIGKILL');
  });

  it('counts a job’s time from when its helper starts running it, not from when it was queued', { timeout: 20_000 }, async () => {
    const { channel, helpers, lost } = timedChannel(kind);
    // Each takes 400 ms of its 1.5 s; the last waits 1.6 s behind the others before it runs.
    const answers = await Promise.all(Array.from({ length: 5 }, () => channel.run({ kind: 'spin', ms: 400, limitMs: 1_500 })));
    expect(answers).toEqual(Array(5).fill('spun'));
    expect(lost).toEqual([]);
    expect(helpers).toHaveLength(1);
    // And the limits are on: a job past its own is stopped.
    await expect(channel.run({ ...STUCK, limitMs: 300 })).rejects.toThrow('stopped after 300 ms');
  });

  it('clears the clock of a job answered in time: its helper is not stopped when that limit would have run out', { timeout: 20_000 }, async () => {
    const { channel, helpers, lost } = timedChannel(kind);
    expect(await channel.run({ kind: 'echo', value: 'in time', limitMs: 300 })).toBe('in time');
    await new Promise((resolve) => setTimeout(resolve, 800));
    expect(lost).toEqual([]);
    expect(await channel.run({ kind: 'echo', value: 'same helper' })).toBe('same helper');
    expect(helpers).toHaveLength(1);
    await expect(channel.run({ ...STUCK, limitMs: 300 })).rejects.toThrow('stopped after 300 ms');
    expect(helpers).toHaveLength(1);
  });

  it('lets the process end by itself after a job answered within a long limit and one stopped at a short one', () => {
    const script = fileURLToPath(new URL('./fixtures/time-limit-script.ts', import.meta.url));
    // A clock left running (two minutes) or a stopped helper still held would outlast this timeout.
    const run = spawnSync(process.execPath, ['--import', 'tsx', script, kind], { encoding: 'utf8', timeout: 30_000 });
    expect(run.signal).toBeNull();
    expect(run.stdout.trim().split('\n')).toEqual(['answered', 'stopped after 200 ms', 'answered again']);
  });
});

describe('HelperChannel time limits over a process that says when it is ready', () => {
  /** A process that takes 2 s to start (fixtures/late-ready-child.mjs). */
  const lateStart = (announcesReady: boolean) => (): HelperEndpoint<{ message: string }> => {
    const child = fork(fileURLToPath(new URL('./fixtures/late-ready-child.mjs', import.meta.url)), ['2000'], { execArgv: [], serialization: 'advanced' });
    started.push({ kind: 'process', child, ended: once(child, 'exit') });
    return processEndpoint(child, { announcesReady });
  };

  it('counts the first job’s time from the helper’s start-up, not from the fork, when the helper announces it', { timeout: 20_000 }, async () => {
    const announcing = timedChannel('process', lateStart(true));
    expect(await announcing.channel.run({ kind: 'delay', ms: 100, limitMs: 1_000 })).toBe('answered');
    expect(announcing.lost).toEqual([]);

    // The same helper without the announcement: its 2 s start-up counts, and the job is stopped.
    const silent = timedChannel('process', lateStart(false));
    await expect(silent.channel.run({ kind: 'delay', ms: 100, limitMs: 1_000 })).rejects.toThrow('stopped after 1000 ms');
  });
});
