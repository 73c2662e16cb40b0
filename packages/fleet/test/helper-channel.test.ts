import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { HelperChannel, workerEndpoint, type HelperEnd } from '../src/helper-channel';

type Job = { kind: 'echo'; value: unknown } | { kind: 'fail'; message: string } | { kind: 'exit' } | { kind: 'slow' };

/** A channel over a real worker thread (fixtures/echo-worker.mjs), recording what it started and lost. */
function echoChannel() {
  const workers: Worker[] = [];
  const lost: { job: Job; end: HelperEnd }[] = [];
  const channel = new HelperChannel<Job, { message: string }>({
    start: () => {
      const worker = new Worker(new URL('./fixtures/echo-worker.mjs', import.meta.url));
      workers.push(worker);
      return workerEndpoint(worker);
    },
    failed: (failure) => new Error(`helper: ${failure.message}`),
    lost: (pending, end) => {
      lost.push({ job: pending.job, end });
      pending.reject(new Error(`lost (${end.reason})`));
    },
  });
  return { channel, workers, lost };
}

describe('HelperChannel', () => {
  it('answers each job from one helper, started at the first job and kept', async () => {
    const { channel, workers } = echoChannel();
    const answers = await Promise.all(['a', 'b', 'c'].map((value) => channel.run({ kind: 'echo', value })));
    expect(answers).toEqual(['a', 'b', 'c']);
    await expect(channel.run({ kind: 'fail', message: 'no such table' })).rejects.toThrow('helper: no such table');
    expect(await channel.run({ kind: 'echo', value: 'after a failure' })).toBe('after a failure');
    expect(workers).toHaveLength(1);
    await workers[0]?.terminate();
  });

  it('fails the job a helper was running when it ended, and sends the jobs queued behind it to a new helper', async () => {
    const { channel, workers, lost } = echoChannel();
    // The worker reads its messages in order: it ends on `exit`, before it reads the next one.
    const ending = channel.run({ kind: 'exit' });
    const queued = channel.run({ kind: 'echo', value: 'queued' });
    await expect(ending).rejects.toThrow('lost (exit code 3)');
    expect(await queued).toBe('queued');
    expect(lost.map(({ job }) => job.kind)).toEqual(['exit']);
    expect(workers).toHaveLength(2);

    expect(await channel.run({ kind: 'echo', value: 'again' })).toBe('again');
    expect(workers).toHaveLength(2);
    await workers[1]?.terminate();
  });

  it('does not fail the new helper’s jobs when the old one’s end is reported late', async () => {
    const { channel, workers, lost } = echoChannel();
    await channel.run({ kind: 'echo', value: 'first' });
    // The first helper ends with an 'error' (its jobs are settled and the next job starts a new
    // helper); its 'exit' follows only later, and must touch nothing of the new helper.
    const old = workers[0] as Worker;
    old.emit('error', new Error('first helper broke'));
    const next = channel.run({ kind: 'echo', value: 'second' });
    await old.terminate();
    expect(await next).toBe('second');
    expect(await channel.run({ kind: 'echo', value: 'third' })).toBe('third');
    expect(workers).toHaveLength(2);
    expect(lost).toEqual([]);
    await workers[1]?.terminate();
  });

  it('refuses a job it cannot send, and holds nothing for it', async () => {
    const { channel, workers } = echoChannel();
    await expect(channel.run({ kind: 'echo', value: () => 1 })).rejects.toMatchObject({ name: 'DataCloneError' });
    expect(await channel.run({ kind: 'echo', value: 'next' })).toBe('next');
    await workers[0]?.terminate();
  });
});

/** Runs fixtures/hold-script.ts in a process of its own; one that never ends is stopped after 30 s. */
function holdScript(mode: 'idle' | 'busy' | 'unsendable', helper: 'worker' | 'process') {
  const script = fileURLToPath(new URL('./fixtures/hold-script.ts', import.meta.url));
  return spawnSync(process.execPath, ['--import', 'tsx', script, mode, helper], { encoding: 'utf8', timeout: 30_000 });
}

describe.each(['worker', 'process'] as const)('HelperChannel over a %s, and the life of its process', (helper) => {
  it('lets the process end once its jobs are answered', () => {
    const run = holdScript('idle', helper);
    expect(run.signal).toBeNull();
    expect(run.stdout.trim()).toBe('answered');
  });

  it('keeps the process alive while a job is in flight, even one nobody awaits', () => {
    const run = holdScript('busy', helper);
    expect(run.signal).toBeNull();
    expect(run.stdout.trim()).toBe('answered');
  });

  it('lets the process end after a job it could not send', () => {
    const run = holdScript('unsendable', helper);
    expect(run.signal).toBeNull();
    expect(run.stdout.trim()).toMatch(/^refused: /);
  });
});
