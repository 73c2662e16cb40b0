/**
 * The activity line of work with no count to show (export, import, clone, backup now): shown
 * on a terminal once the work has taken a second, cleared when it ends, never on a pipe.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Output } from '../src/output';
import { whileWorking } from '../src/progress';

const sink = { write: () => true };
const outputTo = (stderrIsTTY: boolean): Output => new Output({ ...sink, isTTY: false }, { ...sink, isTTY: stderrIsTTY }, {});
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('whileWorking', () => {
  afterEach(() => vi.restoreAllMocks());

  function capture(): () => string {
    const written: string[] = [];
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    });
    return () => written.join('');
  }

  it('says what runs, and for how long, once the work has taken a second; the result comes back', async () => {
    const stderr = capture();
    const result = await whileWorking(outputTo(true), 'Exporting acme…', async () => {
      await sleep(1_600);
      return 42;
    });
    expect(result).toBe(42);
    expect(stderr()).toContain('Exporting acme…');
    expect(stderr()).toMatch(/Exporting acme… \ds/);
  });

  it('prints nothing for quick work, nor on a pipe, and passes a failure through', async () => {
    const stderr = capture();
    await whileWorking(outputTo(true), 'Quick…', () => sleep(50));
    await whileWorking(outputTo(false), 'Piped…', () => sleep(1_300));
    await expect(whileWorking(outputTo(true), 'Failing…', () => Promise.reject(new Error('no')))).rejects.toThrow('no');
    expect(stderr()).toBe('');
  });
});
