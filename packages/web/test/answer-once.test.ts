import { describe, expect, it } from 'vitest';
import { AnswerOnce } from '../src/index';

/** What the work came to: stored (an id) or refused (null), as an add of a todo answers. */
type Stored = number | null;
const stored = (outcome: Stored): boolean => outcome !== null;

/** An attempt that finishes when the test says so, counting how often it was run. */
function gated<T>(): { attempt: () => Promise<T>; runs: () => number; finish: (outcome: T) => void; fail: (error: Error) => void } {
  let runs = 0;
  const waiting: { resolve: (outcome: T) => void; reject: (error: Error) => void }[] = [];
  return {
    attempt: () => {
      runs += 1;
      return new Promise<T>((resolve, reject) => waiting.push({ resolve, reject }));
    },
    runs: () => runs,
    finish: (outcome) => waiting.shift()?.resolve(outcome),
    fail: (error) => waiting.shift()?.reject(error),
  };
}

/** Lets the promises already settled run their continuations. */
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

const options = { ttlMs: 60_000, maxEntries: 10 };

describe('AnswerOnce', () => {
  it('answers a repeat sent while the first runs with the first one’s outcome, without running it again', async () => {
    const once = new AnswerOnce(options);
    const gate = gated<Stored>();
    const first = once.answer(['list', 'milk'], gate.attempt, stored);
    const second = once.answer(['list', 'milk'], gate.attempt, stored);
    await settle();
    expect(gate.runs()).toBe(1);
    gate.finish(7);
    expect(await first).toEqual({ outcome: 7, repeat: false });
    expect(await second).toEqual({ outcome: 7, repeat: true });
    // And afterwards (a reloaded POST).
    expect(await once.run(['list', 'milk'], gate.attempt, stored)).toBe(7);
    expect(gate.runs()).toBe(1);
  });

  it('remembers any outcome the caller counts as a success, null and undefined included', async () => {
    const once = new AnswerOnce(options);
    let runs = 0;
    const attempt = (): Promise<undefined> => ((runs += 1), Promise.resolve(undefined));
    await once.run(['k'], attempt, () => true);
    expect(await once.answer(['k'], attempt, () => true)).toEqual({ outcome: undefined, repeat: true });
    expect(runs).toBe(1);
  });

  it('forgets an outcome that is no success: a repeat runs again, and of those waiting only one at a time', async () => {
    const once = new AnswerOnce(options);
    const gate = gated<Stored>();
    const first = once.run(['k'], gate.attempt, stored);
    const waiting = [once.run(['k'], gate.attempt, stored), once.run(['k'], gate.attempt, stored)];
    await settle();
    gate.finish(null);
    expect(await first).toBeNull();
    await settle();
    expect(gate.runs()).toBe(2);
    gate.finish(3);
    expect(await Promise.all(waiting)).toEqual([3, 3]);
    expect(gate.runs()).toBe(2);
  });

  it('forgets a key whose attempt threw and passes the error on; one waiting for it runs itself', async () => {
    const once = new AnswerOnce(options);
    const gate = gated<Stored>();
    const first = once.run(['k'], gate.attempt, stored);
    const waiting = once.answer(['k'], gate.attempt, stored);
    await settle();
    gate.fail(new Error('boom'));
    await expect(first).rejects.toThrow('boom');
    await settle();
    gate.finish(4);
    expect(await waiting).toEqual({ outcome: 4, repeat: false });
    expect(gate.runs()).toBe(2);
  });

  it('keeps a key’s parts apart: any other part is a request of its own', async () => {
    const once = new AnswerOnce(options);
    let runs = 0;
    const attempt = (): Promise<Stored> => ((runs += 1), Promise.resolve(runs));
    await once.run(['a', 'b c'], attempt, stored);
    await once.run(['a b', 'c'], attempt, stored);
    await once.run(['a', 'b', 'c'], attempt, stored);
    await once.run(['a', 'b c', ''], attempt, stored);
    expect(runs).toBe(4);
    expect(await once.run(['a', 'b c'], attempt, stored)).toBe(1);
  });

  it('forgets a success ttlMs after its attempt finished', async () => {
    let now = 1_000_000;
    const once = new AnswerOnce({ ttlMs: 5 * 60_000, maxEntries: 10, now: () => now });
    const gate = gated<Stored>();
    const first = once.run(['k'], gate.attempt, stored);
    // A slow attempt: its time to run is not taken from its repeats' time.
    now += 60_000;
    gate.finish(1);
    await first;
    now += 5 * 60_000 - 1;
    expect(await once.answer(['k'], gate.attempt, stored)).toEqual({ outcome: 1, repeat: true });
    now += 1;
    expect(once.size).toBe(0);
    const again = once.run(['k'], gate.attempt, stored);
    gate.finish(2);
    expect(await again).toBe(2);
    expect(gate.runs()).toBe(2);
  });

  it('holds at most maxEntries keys, forgetting the oldest first', async () => {
    const once = new AnswerOnce({ ttlMs: 60_000, maxEntries: 3 });
    let runs = 0;
    const attempt = (): Promise<Stored> => ((runs += 1), Promise.resolve(runs));
    for (const key of ['a', 'b', 'c', 'd', 'e']) await once.run([key], attempt, stored);
    expect(once.size).toBe(3);
    // The newest three still answer without running; the oldest runs again.
    for (const key of ['c', 'd', 'e']) await once.run([key], attempt, stored);
    expect(runs).toBe(5);
    await once.run(['a'], attempt, stored);
    expect(runs).toBe(6);
  });
});
