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
    const running = gate.alone('a', async () => {
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
    const late = gate.enter('a').then((leave) => {
      events.push('late enters');
      return leave;
    });
    other();
    await tick();
    expect(events).toEqual(['alone starts']);
    finish();
    await running;
    await tick();
    expect(events).toEqual(['alone starts', 'alone ends', 'late enters']);
    expect(gate.load('a')).toEqual({ active: 2, waiting: 0 });
    heavy();
    (await late)?.();
    expect(gate.load('a')).toEqual({ active: 0, waiting: 0 });
  });

  it('two requests of one tenant that both want to run alone take their steps one after the other (the second once the first request ends)', async () => {
    const gate = new TenantGate(2, 10);
    let inside = 0;
    let most = 0;
    const request = async (): Promise<void> => {
      const leave = await gate.enter('a');
      await tick();
      await gate.alone('a', async () => {
        inside += 1;
        most = Math.max(most, inside);
        await tick();
        inside -= 1;
      });
      leave?.();
    };
    await Promise.all([request(), request()]);
    expect(most).toBe(1);
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
