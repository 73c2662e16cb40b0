/**
 * Adds of one page stored in the order they were sent (add-order.server.ts), however their
 * requests overtake each other on the way to the database.
 */
import { describe, expect, it } from 'vitest';
import { inSubmissionOrder } from '../app/routes/list/add-order.server';

describe('inSubmissionOrder', () => {
  it('runs an add after the one it names, when that one is still on its way', async () => {
    const stored: string[] = [];
    const store = (title: string) => async () => void stored.push(title);
    // The third add arrives first, then the second, then the first.
    const third = inSubmissionOrder('list-a', 'k3', 'k2', store('book a doctor'));
    const second = inSubmissionOrder('list-a', 'k2', 'k1', store('feed the cat'));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(stored).toEqual([]);
    await inSubmissionOrder('list-a', 'k1', null, store('buy cheese'));
    await Promise.all([second, third]);
    expect(stored).toEqual(['buy cheese', 'feed the cat', 'book a doctor']);
  });

  it('does not wait for an add that is done, of another list, or that never comes (then only briefly)', async () => {
    await inSubmissionOrder('list-b', 'done', null, async () => undefined);
    const started = Date.now();
    await inSubmissionOrder('list-b', 'next', 'done', async () => undefined);
    expect(Date.now() - started).toBeLessThan(500);
    // 'done' of list-b is not list-c's.
    const stored: string[] = [];
    await inSubmissionOrder('list-c', 'c2', 'never-sent', async () => void stored.push('c2'));
    expect(stored).toEqual(['c2']);
  });

  it('ignores keys that are not fetcher keys', async () => {
    const stored: string[] = [];
    await inSubmissionOrder('list-d', 'x'.repeat(500), '../../etc', async () => void stored.push('ok'));
    expect(stored).toEqual(['ok']);
  });

  it('lets the later add go even when the earlier one fails', async () => {
    const failing = inSubmissionOrder('list-e', 'e1', null, async () => {
      await new Promise((resolve) => setTimeout(resolve, 10));
      throw new Error('list full');
    });
    const later = inSubmissionOrder('list-e', 'e2', 'e1', async () => 'stored');
    await expect(failing).rejects.toThrow('list full');
    expect(await later).toBe('stored');
  });
});
