/**
 * TenantGate.alone (the list's whole-list writes on the fleet's worker thread) and the JSON
 * download's streamed formatting: pure code, no server.
 */
import { describe, expect, it } from 'vitest';
import { prettyJsonStream, type JsonScalar } from '../app/json-export.server';
import { TenantGate } from '../app/tenant-gate.server';

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('TenantGate.alone', () => {
  it('waits for the tenant’s other requests, holds back new ones meanwhile, and leaves other tenants alone', async () => {
    const gate = new TenantGate(2, 10);
    const heavy = await gate.enter('a');
    const other = await gate.enter('a');
    if (!heavy || !other) throw new Error('turns expected');
    const events: string[] = [];
    let finish: () => void = () => undefined;
    const running = heavy.alone(async () => {
      events.push('alone starts');
      await new Promise<void>((resolve) => (finish = resolve));
      events.push('alone ends');
    });
    await tick();
    expect(events).toEqual([]);
    // Another tenant is not held back.
    const b = await gate.enter('b');
    expect(b).not.toBeNull();
    // A new request of `a` queues behind the step.
    const late = gate.enter('a').then((turn) => {
      events.push('late enters');
      return turn;
    });
    other.leave();
    await tick();
    expect(events).toEqual(['alone starts']);
    finish();
    await running;
    await tick();
    expect(events).toEqual(['alone starts', 'alone ends', 'late enters']);
    expect(gate.load('a')).toEqual({ active: 2, waiting: 0 });
    heavy.leave();
    (await late)?.leave();
    expect(gate.load('a')).toEqual({ active: 0, waiting: 0 });
  });

  it('two requests of one tenant that both want to run alone take their steps one after the other (the second once the first request ends)', async () => {
    const gate = new TenantGate(2, 10);
    let inside = 0;
    let most = 0;
    const request = async (): Promise<void> => {
      const turn = await gate.enter('a');
      if (!turn) throw new Error('turn expected');
      await tick();
      await turn.alone(async () => {
        inside += 1;
        most = Math.max(most, inside);
        await tick();
        inside -= 1;
      });
      turn.leave();
    };
    await Promise.all([request(), request()]);
    expect(most).toBe(1);
    expect(gate.load('a')).toEqual({ active: 0, waiting: 0 });
  });

  it('a request that leaves while its step waits or runs alone (its client went away) gives its turn back once, when the step ends', async () => {
    // The sequence of the benchmark's stall: two "toggle all" of one list, the first running
    // alone and the second waiting to, both abandoned by React Router when their clients left.
    const gate = new TenantGate(3, 10);
    const first = await gate.enter('a');
    const second = await gate.enter('a');
    if (!first || !second) throw new Error('turns expected');
    const finish: (() => void)[] = [];
    const step = (): Promise<void> => new Promise<void>((resolve) => finish.push(resolve));
    const running = first.alone(step);
    const queued = second.alone(step);
    await tick();
    expect(finish).toHaveLength(1);
    first.leave();
    second.leave();
    // Nothing else of the list starts while a step runs alone, left or not.
    let lateEntered = false;
    const late = gate.enter('a').then((turn) => {
      lateEntered = true;
      return turn;
    });
    await tick();
    expect(lateEntered).toBe(false);
    finish[0]?.();
    await running;
    await tick();
    expect(finish).toHaveLength(2);
    expect(lateEntered).toBe(false);
    finish[1]?.();
    await queued;
    const lateTurn = await late;
    expect(gate.load('a')).toEqual({ active: 1, waiting: 0 });
    // The list's next step alone runs at once: no turn was lost.
    let ran = false;
    await lateTurn?.alone(async () => {
      ran = true;
    });
    expect(ran).toBe(true);
    lateTurn?.leave();
    expect(gate.load('a')).toEqual({ active: 0, waiting: 0 });
  });

  it('an abandoned request whose action reaches alone() after it left still waits for the list’s other requests', async () => {
    const gate = new TenantGate(2, 10);
    const abandoned = await gate.enter('a');
    const other = await gate.enter('a');
    if (!abandoned || !other) throw new Error('turns expected');
    abandoned.leave();
    let ran = false;
    const step = abandoned.alone(async () => {
      ran = true;
    });
    await tick();
    expect(ran).toBe(false);
    other.leave();
    await step;
    expect(ran).toBe(true);
    expect(gate.load('a')).toEqual({ active: 0, waiting: 0 });
  });
});

describe('prettyJsonStream', () => {
  it('writes exactly JSON.stringify(value, null, 2) and a newline, in several chunks for long arrays', async () => {
    const documents: { list: string; todos: { id: number }[]; [key: string]: JsonScalar | readonly Readonly<Record<string, JsonScalar>>[] }[] = [
      { list: 'a', displayName: 'quote " and\nnewline', todos: Array.from({ length: 600 }, (_, i) => ({ id: i, title: `t\n${i}`, completed: i % 2 === 0 })), members: [{ email: 'e', role: 'owner' }] },
      { list: 'a', displayName: 'd', todos: [], members: [] },
      { list: 'a', todos: Array.from({ length: 250 }, (_, i) => ({ id: i })) },
    ];
    for (const document of documents) {
      const chunks: Uint8Array[] = [];
      for await (const chunk of prettyJsonStream(document)) chunks.push(chunk);
      expect(Buffer.concat(chunks).toString('utf8')).toBe(`${JSON.stringify(document, null, 2)}\n`);
      if (document.todos.length > 250) expect(chunks.length).toBeGreaterThan(2);
    }
  });
});
