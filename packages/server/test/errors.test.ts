import { describe, expect, it } from 'vitest';
import { SiloError, type SiloErrorCode } from '@silo/fleet';
import { FLEET_ERROR_STATUS } from '../src/index';
import { clipEcho, ECHO_MAX_CHARS, errorBody, toErrorResponse } from '../src/api/errors';

/** Every fleet code has its status; the ones that pass by themselves say when to retry. */
describe('error answers', () => {
  it('answer every fleet code as JSON with its status', async () => {
    for (const [code, status] of Object.entries(FLEET_ERROR_STATUS) as [SiloErrorCode, number][]) {
      const response = toErrorResponse(new SiloError(code, `a ${code}`, { details: {} } as never));
      expect(response.status, code).toBe(status);
      expect(await response.json()).toMatchObject({ error: { code, message: `a ${code}` } });
    }
  });

  it('maps the codes the issue names', () => {
    expect(FLEET_ERROR_STATUS).toMatchObject({ INSTANCE_NOT_FOUND: 404, NAME_TAKEN: 409, INVALID_INPUT: 422, INVALID_NAME: 422, JURISDICTION_VIOLATION: 403, INSTANCE_NOT_READY: 503 });
  });

  it('sends Retry-After with INSTANCE_NOT_READY and a Turso retry hint', () => {
    const notReady = toErrorResponse(new SiloError('INSTANCE_NOT_READY', 'wait', { details: { name: 'a', state: 'provisioning' } }));
    expect(notReady.status).toBe(503);
    expect(notReady.headers.get('retry-after')).toBe('2');
    const engine = toErrorResponse(new SiloError('ENGINE_FAILURE', 'busy', { details: { status: 429, retryAfterMs: 4_500 } }));
    expect(engine.headers.get('retry-after')).toBe('5');
  });

  it('clips echoed input at any depth of the details, never between the halves of a character', () => {
    const long = 'x'.repeat(ECHO_MAX_CHARS - 2) + '😀'.repeat(10);
    const clipped = clipEcho(long);
    expect(clipped.length).toBeLessThanOrEqual(ECHO_MAX_CHARS);
    expect(clipped.endsWith('…')).toBe(true);
    expect(clipped).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])/);
    const body = errorBody('INVALID_INPUT', `Unknown "${'y'.repeat(5_000)}".`, { nested: { list: ['z'.repeat(5_000)] }, count: 3 });
    expect(body.error.message).toBe(`Unknown "${'y'.repeat(ECHO_MAX_CHARS - 1)}…".`);
    expect(body.error.details).toEqual({ nested: { list: [`${'z'.repeat(ECHO_MAX_CHARS - 1)}…`] }, count: 3 });
    expect(clipEcho('short')).toBe('short');
  });

  it('keeps folder paths of a full disk and unexpected errors to the server', async () => {
    const full = toErrorResponse(new SiloError('DISK_FULL', 'full', { details: { dir: '/secret/path', freeBytes: 0, totalBytes: 1 } }));
    expect(JSON.stringify(await full.json())).not.toContain('/secret/path');
    const original = process.emitWarning;
    process.emitWarning = () => undefined;
    try {
      const unexpected = toErrorResponse(new Error('SQLITE_CORRUPT at /data/catalog.db'));
      expect(unexpected.status).toBe(500);
      expect(JSON.stringify(await unexpected.json())).not.toContain('/data');
    } finally {
      process.emitWarning = original;
    }
  });
});
