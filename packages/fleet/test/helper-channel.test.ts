import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { HelperChannel, workerEndpoint, type HelperEnd } from '../src/helper-channel';

type Job = { kind: 'echo'; value: string } | { kind: 'fail'; message: string } | { kind: 'exit' } | { kind: 'slow' };

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

  it('fails the jobs of a helper that ends, and starts another for the next job', async () => {
    const { channel, workers, lost } = echoChannel();
    const inFlight = channel.run({ kind: 'slow' });
    const ending = channel.run({ kind: 'exit' });
    await expect(inFlight).rejects.toThrow('lost (exit code 3)');
    await expect(ending).rejects.toThrow('lost (exit code 3)');
    expect(lost.map(({ job }) => job.kind).sort()).toEqual(['exit', 'slow']);

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
});
