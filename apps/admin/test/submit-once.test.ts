import { describe, expect, it } from 'vitest';
import { SubmitOnce, newFormToken, type Submitted } from '../app/lib/submit-once.server';

type Refusal = { error: string };

/** An attempt that finishes when the test says so, counting how often it was run. */
function gated(): { attempt: () => Promise<Submitted<Refusal>>; runs: () => number; finish: (outcome: Submitted<Refusal>) => void } {
  let runs = 0;
  const waiting: ((outcome: Submitted<Refusal>) => void)[] = [];
  return {
    attempt: () => {
      runs += 1;
      return new Promise((resolve) => waiting.push(resolve));
    },
    runs: () => runs,
    finish: (outcome) => waiting.shift()?.(outcome),
  };
}

const created = (name: string): Submitted<Refusal> => ({ ok: true, location: `/instances/${name}?created=1` });
const refused: Submitted<Refusal> = { ok: false, refusal: { error: 'The name "acme" is taken. Choose another name.' } };

/** Lets the promises already settled run their continuations. */
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('SubmitOnce (one-time form tokens)', () => {
  const token = newFormToken();

  it('a repeat sent while the first post runs waits for it and is led where it went, without running', async () => {
    const once = new SubmitOnce({ ttlMs: 60_000, maxEntries: 10 });
    const gate = gated();
    const first = once.run('session-a', token, ['acme'], gate.attempt);
    const second = once.run('session-a', token, ['acme'], gate.attempt);
    await settle();
    expect(gate.runs()).toBe(1);
    gate.finish(created('acme'));
    expect(await first).toEqual(created('acme'));
    expect(await second).toEqual(created('acme'));
    // And afterwards (a resubmitted POST).
    expect(await once.run('session-a', token, ['acme'], gate.attempt)).toEqual(created('acme'));
    expect(gate.runs()).toBe(1);
  });

  it('does not remember a refusal: a repeat runs again, also one that was waiting for it', async () => {
    const once = new SubmitOnce({ ttlMs: 60_000, maxEntries: 10 });
    const gate = gated();
    const first = once.run('s', token, ['acme'], gate.attempt);
    const waiting = once.run('s', token, ['acme'], gate.attempt);
    await settle();
    gate.finish(refused);
    expect(await first).toEqual(refused);
    await settle();
    expect(gate.runs()).toBe(2);
    gate.finish(created('acme'));
    expect(await waiting).toEqual(created('acme'));
    expect(await once.run('s', token, ['acme'], gate.attempt)).toEqual(created('acme'));
    expect(gate.runs()).toBe(2);
  });

  it('forgets a token whose attempt threw, and passes the error on', async () => {
    const once = new SubmitOnce({ ttlMs: 60_000, maxEntries: 10 });
    await expect(once.run('s', token, ['acme'], () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(once.size).toBe(0);
    expect(await once.run('s', token, ['acme'], () => Promise.resolve(created('acme')))).toEqual(created('acme'));
  });

  it('keys by session, token and fields: anything else is a post of its own', async () => {
    const once = new SubmitOnce({ ttlMs: 60_000, maxEntries: 10 });
    let runs = 0;
    const attempt = (name: string) => () => ((runs += 1), Promise.resolve(created(name)));
    await once.run('s', token, ['acme', 'eu'], attempt('acme'));
    expect(await once.run('other-session', token, ['acme', 'eu'], attempt('acme'))).toEqual(created('acme'));
    expect(await once.run('s', newFormToken(), ['acme', 'eu'], attempt('acme'))).toEqual(created('acme'));
    expect(await once.run('s', token, ['acme-2', 'eu'], attempt('acme-2'))).toEqual(created('acme-2'));
    expect(await once.run('s', token, ['acme', 'us'], attempt('acme'))).toEqual(created('acme'));
    expect(runs).toBe(5);
    // Fields are kept apart: ["a", "b eu"] and ["a b", "eu"] are different posts.
    expect(await once.run('s', token, ['a', 'b eu'], attempt('a'))).toEqual(created('a'));
    expect(await once.run('s', token, ['a b', 'eu'], attempt('a b'))).toEqual(created('a b'));
    expect(runs).toBe(7);
  });

  it('runs every post that has no valid token, as before tokens', async () => {
    const once = new SubmitOnce({ ttlMs: 60_000, maxEntries: 10 });
    let runs = 0;
    for (const bad of ['', 'short', 'x'.repeat(129), `${token}!`, `${token}\n`]) {
      for (let i = 0; i < 2; i++) await once.run('s', bad, ['acme'], () => ((runs += 1), Promise.resolve(created('acme'))));
    }
    expect(runs).toBe(10);
    expect(once.size).toBe(0);
  });

  it('forgets a token ttlMs after its post finished', async () => {
    let now = 1_000_000;
    const once = new SubmitOnce({ ttlMs: 5 * 60_000, maxEntries: 10, now: () => now });
    let runs = 0;
    const attempt = (): Promise<Submitted<Refusal>> => ((runs += 1), Promise.resolve(created('acme')));
    await once.run('s', token, ['acme'], attempt);
    now += 5 * 60_000 - 1;
    await once.run('s', token, ['acme'], attempt);
    expect(runs).toBe(1);
    now += 1;
    expect(once.size).toBe(0);
    await once.run('s', token, ['acme'], attempt);
    expect(runs).toBe(2);
  });

  it('holds at most maxEntries tokens, forgetting the oldest first', async () => {
    const once = new SubmitOnce({ ttlMs: 60_000, maxEntries: 3 });
    const tokens = Array.from({ length: 5 }, () => newFormToken());
    let runs = 0;
    const attempt = (): Promise<Submitted<Refusal>> => ((runs += 1), Promise.resolve(created('acme')));
    for (const each of tokens) await once.run('s', each, ['acme'], attempt);
    expect(once.size).toBe(3);
    // The newest three still answer without running; the oldest runs again.
    for (const each of tokens.slice(2)) await once.run('s', each, ['acme'], attempt);
    expect(runs).toBe(5);
    await once.run('s', tokens[0] ?? '', ['acme'], attempt);
    expect(runs).toBe(6);
  });
});
