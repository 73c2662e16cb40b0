import { createHmac } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  assertSameOrigin,
  clientFiles,
  createRateLimiter,
  csrfToken,
  hashPassword,
  hashToken,
  loadSecret,
  passwordProblem,
  randomToken,
  readForm,
  verifyCsrfToken,
  verifyPassword,
} from '../src/index';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('passwords', () => {
  it('hashes with argon2id and verifies', async () => {
    const stored = await hashPassword('correct horse battery');
    expect(stored).toMatch(/^\$argon2id\$/);
    expect(stored).not.toContain('correct horse');
    expect(await verifyPassword(stored, 'correct horse battery')).toBe(true);
    expect(await verifyPassword(stored, 'correct horse batterY')).toBe(false);
    expect(await verifyPassword('not a hash', 'anything')).toBe(false);
  });

  it('explains what makes a password unacceptable', () => {
    expect(passwordProblem('short')).toMatch(/at least 10/);
    expect(passwordProblem(' '.repeat(12))).toMatch(/only spaces/);
    expect(passwordProblem('x'.repeat(201))).toMatch(/at most 200/);
    expect(passwordProblem('a perfectly fine passphrase')).toBeUndefined();
  });
});

describe('tokens and CSRF', () => {
  it('makes unguessable tokens and stores only their hashes', () => {
    const token = randomToken();
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(randomToken()).not.toBe(token);
    expect(hashToken(token)).toMatch(/^[0-9a-f]{64}$/);
    expect(hashToken(token)).toBe(hashToken(token));
    // Stored hashes outlive the code that made them: SHA-256 in hex, as ever.
    expect(hashToken('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });

  it('remembers CSRF tokens per secret and session, and they stay the HMAC after eviction', () => {
    const hmacOf = (secret: string, session: string) => createHmac('sha256', secret).update(`csrf:${session}`).digest('base64url');
    // Pairs whose plain concatenations collide must not share a remembered token.
    expect(csrfToken('ab', 'c')).toBe(hmacOf('ab', 'c'));
    expect(csrfToken('a', 'bc')).toBe(hmacOf('a', 'bc'));
    expect(csrfToken('a', 'bc')).not.toBe(csrfToken('ab', 'c'));
    // More sessions than are remembered: the oldest are computed again, to the same value.
    for (let i = 0; i < 10_050; i++) csrfToken('server secret', `session-${i}`);
    for (const i of [0, 1, 10_049]) expect(csrfToken('server secret', `session-${i}`)).toBe(hmacOf('server secret', `session-${i}`));
  });

  it('binds CSRF tokens to the session and the secret', () => {
    const token = csrfToken('server secret', 'session-a');
    expect(verifyCsrfToken('server secret', 'session-a', token)).toBe(true);
    expect(verifyCsrfToken('server secret', 'session-b', token)).toBe(false);
    expect(verifyCsrfToken('other secret', 'session-a', token)).toBe(false);
    expect(verifyCsrfToken('server secret', 'session-a', '')).toBe(false);
    expect(verifyCsrfToken('server secret', 'session-a', null)).toBe(false);
  });

  it('refuses cross-site state changes and lets same-site ones through', () => {
    const post = (headers: Record<string, string>) => new Request('http://127.0.0.1:3000/t/acme', { method: 'POST', headers });
    expect(() => assertSameOrigin(post({ origin: 'http://127.0.0.1:3000' }))).not.toThrow();
    expect(() => assertSameOrigin(new Request('http://127.0.0.1:3000/t/acme'))).not.toThrow();
    expect(() => assertSameOrigin(post({ 'sec-fetch-site': 'same-origin' }))).not.toThrow();
    const crossSite: Record<string, string>[] = [{ origin: 'https://evil.example' }, { origin: 'null' }, { 'sec-fetch-site': 'cross-site' }];
    for (const headers of crossSite) {
      try {
        assertSameOrigin(post(headers));
        expect.unreachable('a cross-site request was accepted');
      } catch (response) {
        expect((response as Response).status).toBe(403);
      }
    }
  });
});

describe('rate limits', () => {
  it('blocks a key after its budget and tells when to retry; reset forgives', async () => {
    const limiter = createRateLimiter({ points: 3, durationSec: 60, blockSec: 120 });
    const results = [];
    for (let i = 0; i < 5; i++) results.push(await limiter.consume('acme:alice@example.com'));
    expect(results.map((r) => r.allowed)).toEqual([true, true, true, false, false]);
    expect(results[4]?.retryAfterSec).toBeGreaterThan(60);
    expect((await limiter.consume('acme:bob@example.com')).allowed).toBe(true);
    await limiter.reset('acme:alice@example.com');
    expect((await limiter.consume('acme:alice@example.com')).allowed).toBe(true);
  });

  it('keeps long keys apart, and tells a blocked key from one with budget without counting', async () => {
    const limiter = createRateLimiter({ points: 2, durationSec: 60, blockSec: 120 });
    const long = (last: string) => `acme:${'x'.repeat(20_000)}${last}@a.test:127.0.0.1`;
    expect(await limiter.blockedFor(long('1'))).toBe(0);
    for (let i = 0; i < 3; i++) await limiter.consume(long('1'));
    expect(await limiter.blockedFor(long('1'))).toBeGreaterThan(60);
    expect(await limiter.blockedFor(long('2'))).toBe(0);
    // Asking counts nothing.
    for (let i = 0; i < 5; i++) expect(await limiter.blockedFor(long('2'))).toBe(0);
    expect((await limiter.consume(long('2'))).allowed).toBe(true);
    expect((await limiter.consume(long('2'))).allowed).toBe(true);
    expect((await limiter.consume(long('2'))).allowed).toBe(false);
    await limiter.reset(long('1'));
    expect(await limiter.blockedFor(long('1'))).toBe(0);
  });

  it('refund gives an attempt back, so only the attempts that were not refunded add up', async () => {
    const limiter = createRateLimiter({ points: 2, durationSec: 60, blockSec: 120 });
    for (let i = 0; i < 10; i++) {
      expect((await limiter.consume('10.0.0.1')).allowed).toBe(true);
      await limiter.refund('10.0.0.1');
    }
    expect((await limiter.consume('10.0.0.1')).allowed).toBe(true);
    expect((await limiter.consume('10.0.0.1')).allowed).toBe(true);
    expect((await limiter.consume('10.0.0.1')).allowed).toBe(false);
  });
});

describe('secrets', () => {
  it('generates a secret once, owner-readable only, and prefers SILO_SECRET', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'silo-web-'));
    dirs.push(dir);
    const first = loadSecret(dir, {});
    expect(first.length).toBeGreaterThanOrEqual(32);
    expect(loadSecret(dir, {})).toBe(first);
    expect(statSync(path.join(dir, 'secret.key')).mode & 0o777).toBe(0o600);
    expect(loadSecret(dir, { SILO_SECRET: 'x'.repeat(40) })).toBe('x'.repeat(40));
    expect(() => loadSecret(dir, { SILO_SECRET: 'short' })).toThrow(/at least 32/);
  });
});

describe('form bodies', () => {
  const form = (body: string, headers: Record<string, string> = {}) =>
    new Request('http://127.0.0.1/x', { method: 'POST', body, headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers } });

  it('reads a form within the limit', async () => {
    const data = await readForm(form('title=Buy+milk&intent=add'), 1_000);
    expect(data.get('title')).toBe('Buy milk');
  });

  it('refuses a URL-encoded form that is not UTF-8 with 400, escaped or raw', async () => {
    expect((await readForm(form('title=caf%C3%A9+%E2%9C%93&x=%F0%9F%98%80'), 1_000)).get('title')).toBe('café ✓');
    for (const bad of ['title=%FF', 'title=caf%C3', 'title=%ED%A0%80', 'title=%zz']) {
      await expect(readForm(form(bad), 1_000), bad).rejects.toMatchObject({ status: 400 });
    }
    const raw = new Request('http://127.0.0.1/x', { method: 'POST', body: new Uint8Array([0x74, 0x3d, 0xc3, 0x28]), headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    await expect(readForm(raw, 1_000)).rejects.toMatchObject({ status: 400 });
  });

  it('refuses a multipart form whose names or text fields are not UTF-8 with 400; a typed U+FFFD and file bytes stay', async () => {
    const boundary = 'form-boundary-0123456789abcdefghij';
    type Part = { name: Buffer | string; value: Buffer | string; filename?: string };
    const multipart = (...parts: Part[]) =>
      new Request('http://127.0.0.1/x', {
        method: 'POST',
        headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
        body: new Uint8Array(
          Buffer.concat([
            ...parts.flatMap(({ name, value, filename }) => [
              Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="`),
              Buffer.from(name),
              Buffer.from(`"${filename === undefined ? '' : `; filename="${filename}"\r\nContent-Type: application/octet-stream`}\r\n\r\n`),
              Buffer.from(value),
              Buffer.from('\r\n'),
            ]),
            Buffer.from(`--${boundary}--\r\n`),
          ]),
        ),
      });
    const invalid = [[0xff], [0x63, 0x61, 0x66, 0xc3], [0xed, 0xa0, 0x80], [0xc0, 0xaf], [0xf0, 0xef, 0xbf, 0xbd]].map((bytes) => Buffer.from(bytes));
    for (const bad of invalid) {
      await expect(readForm(multipart({ name: 'title', value: bad }), 1_000), bad.toString('hex')).rejects.toMatchObject({ status: 400 });
      await expect(readForm(multipart({ name: Buffer.concat([Buffer.from('t'), bad]), value: 'x' }), 1_000), bad.toString('hex')).rejects.toMatchObject({ status: 400 });
      // Beside a U+FFFD typed in another field.
      await expect(readForm(multipart({ name: 'note', value: 'a \uFFFD' }, { name: 'title', value: bad }), 1_000)).rejects.toMatchObject({ status: 400 });
    }
    const fileBytes = Buffer.from([0xff, 0xfe, 0xef, 0xbf, 0xbd, 0x00]);
    const read = await readForm(
      multipart({ name: 'title', value: 'caf\u00e9 \uFFFD \u2713' }, { name: '\u00e9\uFFFD', value: '\uFFFD' }, { name: 'upload', value: fileBytes, filename: 'a.bin' }),
      1_000,
    );
    expect(read.get('title')).toBe('caf\u00e9 \uFFFD \u2713');
    expect(read.get('\u00e9\uFFFD')).toBe('\uFFFD');
    const upload = read.get('upload');
    if (!(upload instanceof File)) throw new Error('The file part is not a File.');
    expect(Buffer.from(await upload.arrayBuffer())).toEqual(fileBytes);
  });

  it('refuses an oversized body with 413, whatever Content-Length claims', async () => {
    const big = `title=${'x'.repeat(5_000)}`;
    await expect(readForm(form(big), 1_000)).rejects.toMatchObject({ status: 413 });
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < 10; i++) controller.enqueue(new TextEncoder().encode('x'.repeat(500)));
        controller.close();
      },
    });
    const chunked = new Request('http://127.0.0.1/x', { method: 'POST', body: stream, duplex: 'half' } as RequestInit & { duplex: 'half' });
    await expect(readForm(chunked, 1_000)).rejects.toMatchObject({ status: 413 });
  });

  it('refuses with 408 a form still arriving after its arrival limit, and reads one that came in time', async () => {
    const trickled = (end: boolean) =>
      new Request('http://127.0.0.1/x', {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new ReadableStream<Uint8Array>({
          start(controller) {
            controller.enqueue(new TextEncoder().encode('title=a'));
            if (end) controller.close();
          },
        }),
        duplex: 'half',
      } as RequestInit & { duplex: 'half' });
    await expect(readForm(trickled(false), 1_000, { arrivalLimitMs: 200 })).rejects.toMatchObject({ status: 408 });
    expect((await readForm(trickled(true), 1_000, { arrivalLimitMs: 200 })).get('title')).toBe('a');
  });
});

describe('client build files', () => {
  async function serving(allow?: (pathname: string) => boolean) {
    const dir = mkdtempSync(path.join(tmpdir(), 'silo-client-'));
    dirs.push(dir);
    mkdirSync(path.join(dir, 'client', 'assets'), { recursive: true });
    writeFileSync(path.join(dir, 'client', 'assets', 'entry-abc123.js'), 'console.log(1);');
    writeFileSync(path.join(dir, 'client', 'favicon.ico'), 'icon');
    writeFileSync(path.join(dir, 'secret.txt'), 'outside the client build');
    const serve = clientFiles(path.join(dir, 'client'));
    // A file that appears after start-up is not served: the build is indexed once.
    writeFileSync(path.join(dir, 'client', 'late.js'), 'late');
    const server = createServer((req, res) => {
      if (!serve(req, res, allow)) res.writeHead(404).end('app');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return { origin, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
  }

  it('serves the build with types, lengths and a year of caching for hashed assets', async () => {
    const { origin, close } = await serving();
    try {
      const asset = await fetch(`${origin}/assets/entry-abc123.js?v=1`);
      expect(asset.status).toBe(200);
      expect(await asset.text()).toBe('console.log(1);');
      expect(asset.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
      expect(asset.headers.get('content-length')).toBe('15');
      expect(asset.headers.get('cache-control')).toContain('immutable');
      const icon = await fetch(`${origin}/favicon.ico`, { method: 'HEAD' });
      expect(icon.status).toBe(200);
      expect(icon.headers.get('cache-control')).toBe('public, max-age=3600');
    } finally {
      await close();
    }
  });

  it('never reaches outside the build, whatever the path says, and leaves other requests to the app', async () => {
    const { origin, close } = await serving((pathname) => pathname.startsWith('/assets/'));
    try {
      for (const target of ['/../secret.txt', '/%2e%2e/secret.txt', '/assets/%2e%2e/%2e%2e/secret.txt', '/assets', '/assets/', '/late.js', '/favicon.ico', '/%E0%A4%A', '/']) {
        const response = await fetch(`${origin}${target}`);
        expect(await response.text(), target).toBe('app');
      }
      const post = await fetch(`${origin}/assets/entry-abc123.js`, { method: 'POST' });
      expect(await post.text()).toBe('app');
    } finally {
      await close();
    }
  });
});
