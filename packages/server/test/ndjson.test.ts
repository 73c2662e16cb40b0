/**
 * NDJSON answers (query-all, migrations) whose work fails after the answer began: the failure
 * is the last line, in the documented StreamErrorLine shape, and an unexpected error's message
 * (paths, SQL) is logged, not sent, as in a JSON error answer.
 */
import { once } from 'node:events';
import { SiloError } from '@silo/fleet';
import { describe, expect, it } from 'vitest';
import { ApiError } from '../src/api/errors';
import { ndjson } from '../src/api/ndjson';
import { MigrateLineSchema, QueryAllLineSchema, StreamErrorLineSchema } from '../src/api/schemas';

async function* linesThenFailure(failure: unknown): AsyncGenerator<unknown> {
  yield { instance: 'acme', status: 'ok', columns: ['one'], rows: [[1]], rowsAffected: 0, durationMs: 1 };
  throw failure;
}

async function lines(response: Response): Promise<unknown[]> {
  return (await response.text()).split('\n').filter(Boolean).map((line) => JSON.parse(line) as unknown);
}

describe('ndjson', () => {
  it('ends with a StreamErrorLine naming the fleet error when the work fails mid-stream', async () => {
    const response = ndjson(linesThenFailure(new SiloError('QUERY_FAILED', 'no such table: todos', { details: { sqliteCode: 'SQLITE_ERROR' } })));
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/x-ndjson');
    const [first, last, ...rest] = await lines(response);
    expect(rest).toEqual([]);
    expect(first).toMatchObject({ instance: 'acme', status: 'ok' });
    expect(last).toEqual({ status: 'error', code: 'QUERY_FAILED', error: 'no such table: todos' });
    // The documented line shapes accept it, on both NDJSON routes.
    expect(StreamErrorLineSchema.safeParse(last).success).toBe(true);
    expect(QueryAllLineSchema.safeParse(last).success).toBe(true);
    expect(MigrateLineSchema.safeParse(last).success).toBe(true);
  });

  it('names an API error by its own code', async () => {
    const [, last] = await lines(ndjson(linesThenFailure(new ApiError('RATE_LIMITED', 'Too many requests.'))));
    expect(last).toEqual({ status: 'error', code: 'RATE_LIMITED', error: 'Too many requests.' });
  });

  it('logs an unexpected error and sends only that it happened', async () => {
    const warned = once(process, 'warning') as Promise<[Error & { code?: string }]>;
    const [, last] = await lines(ndjson(linesThenFailure(new Error("ENOENT: no such file or directory, open '/srv/silo/data/regions/eu/x.db'"))));
    expect(last).toEqual({ status: 'error', code: 'INTERNAL', error: 'The server failed to answer; the error was logged.' });
    expect(StreamErrorLineSchema.safeParse(last).success).toBe(true);
    const [warning] = await warned;
    expect(warning.code).toBe('SILO_API_ERROR');
    expect(warning.message).toContain('/srv/silo/data/regions/eu/x.db');
  });

  it('stops the work when the client goes away', async () => {
    let stopped = false;
    async function* endless(): AsyncGenerator<unknown> {
      try {
        for (let i = 0; ; i++) yield { i };
      } finally {
        stopped = true;
      }
    }
    const reader = (ndjson(endless()).body as ReadableStream<Uint8Array>).getReader();
    expect((await reader.read()).done).toBe(false);
    await reader.cancel();
    expect(stopped).toBe(true);
  });
});
