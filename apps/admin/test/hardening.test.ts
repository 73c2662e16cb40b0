import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { openFleet } from '@silo/fleet';
import { APP_DIR, Client, ensureBuilt, launchChromium, removeDir, startServer, tempDataDir, todoSchema, type AdminServer } from './helpers';
import { headerIn, rawRequest } from '@silo/web/raw-http';

/** Issue #13, findings 6 and 10 (1–4), on the admin console's real server. */
const EMAIL = 'admin@localhost';
const PASSWORD = 'correct-horse-battery-staple';

let server: AdminServer;
let dataDir: string;
let port: string;

beforeAll(async () => {
  dataDir = tempDataDir();
  const fleet = await openFleet({ schema: await todoSchema(), dataDir });
  await fleet.create('alpha', { jurisdiction: 'eu', actor: 'seed' });
  await fleet.close();
  await ensureBuilt();
  server = await startServer(dataDir, { ADMIN_PASSWORD: PASSWORD });
  port = new URL(server.url).port;
});

afterAll(async () => {
  await server?.stop();
  if (dataDir) removeDir(dataDir);
});

describe('sign-in next never leaves the origin (finding 6)', () => {
  const escapes = [
    '/%09/evil.example/',
    '/\t/evil.example/',
    '//evil.example/',
    '/\\evil.example/',
    '\\/evil.example/',
    '/%2F/evil.example/',
    '/%5C/evil.example/',
    'https://evil.example/',
    'javascript:alert(1)',
    '/\uFF0F/evil.example',
  ];

  it('a signed-in admin following /login?next= stays on this origin', async () => {
    const admin = new Client(server.url);
    expect((await admin.signIn(EMAIL, PASSWORD)).status).toBe(302);
    for (const next of escapes) {
      const response = await admin.get(`/login?next=${encodeURIComponent(next)}`);
      expect(response.status, next).toBe(302);
      expect(response.headers.get('location'), next).toBe('/');
    }
    const kept = await admin.get(`/login?next=${encodeURIComponent('/audit?page=2')}`);
    expect(kept.headers.get('location')).toBe('/audit?page=2');
  });

  it('the sign-in form refuses the same targets, and CR/LF is the safe default, not a 500', async () => {
    for (const next of [...escapes, '/\r\nSet-Cookie: evil=1', '/audit\r\nSet-Cookie: evil=1']) {
      const client = new Client(server.url);
      const response = await client.post('/login', { email: EMAIL, password: PASSWORD, next }, { csrf: false });
      expect(response.status, JSON.stringify(next)).toBe(302);
      expect(response.headers.get('location'), JSON.stringify(next)).toBe('/');
    }
    // Encoded CR/LF in ?next= of a signed-in admin's sign-in page (was a 500: an invalid Location).
    const encoded = new Client(server.url);
    await encoded.signIn(EMAIL, PASSWORD);
    const response = await encoded.get('/login?next=%2Faudit%0D%0ASet-Cookie:%20evil=1');
    expect(response.status).toBe(302);
    expect(response.headers.get('location')).toBe('/');
  });
});

/** An access-log line of the app server: one per request, not an error report. */
function isAccessLine(line: string): boolean {
  try {
    const record = JSON.parse(line) as Record<string, unknown>;
    return typeof record['method'] === 'string' && typeof record['status'] === 'number';
  } catch {
    return false;
  }
}

describe('every response carries the security headers; client errors log one line (finding 10.1)', () => {
  const requests: readonly [string, string, number][] = [
    ['a cross-origin POST React Router refuses itself', 'POST /login HTTP/1.1\r\nHost: 127.0.0.1:PORT\r\nOrigin: http://evil.example\r\nContent-Length: 0\r\nConnection: close\r\n\r\n', 400],
    ['a cross-origin .data POST', 'POST /login.data HTTP/1.1\r\nHost: 127.0.0.1:PORT\r\nOrigin: http://evil.example\r\nContent-Length: 0\r\nConnection: close\r\n\r\n', 400],
    ['an Origin that is not a URL', 'POST /login HTTP/1.1\r\nHost: 127.0.0.1:PORT\r\nOrigin: ::nonsense\r\nContent-Length: 0\r\nConnection: close\r\n\r\n', 400],
    ['a manifest request (no such endpoint: the manifest is in the page)', 'GET /__manifest HTTP/1.1\r\nHost: 127.0.0.1:PORT\r\nConnection: close\r\n\r\n', 0],
    ['a public bundle', 'GET /favicon.ico HTTP/1.1\r\nHost: 127.0.0.1:PORT\r\nConnection: close\r\n\r\n', 0],
  ];
  for (const [what, text, status] of requests) {
    it(`${what}: headers, and no stack trace in the log`, async () => {
      const before = server.output().length;
      const answer = await rawRequest(server.url, text.replaceAll('PORT', port));
      if (status !== 0) expect(answer.status).toBe(status);
      expect(headerIn(answer.head, 'content-security-policy')).toMatch(/script-src 'self' 'nonce-/);
      expect(headerIn(answer.head, 'x-frame-options')).toBe('DENY');
      expect(headerIn(answer.head, 'x-content-type-options')).toBe('nosniff');
      await new Promise((resolve) => setTimeout(resolve, 100));
      const logged = server.output().slice(before);
      expect(logged).not.toMatch(/^\s+at /m);
      expect(logged.split('\n').filter((line) => line.trim() !== '' && !isAccessLine(line)).length).toBeLessThanOrEqual(1);
    });
  }

  it('a signed-in POST to a page without an action (405 from React Router): headers, one log line', async () => {
    const admin = new Client(server.url);
    expect((await admin.signIn(EMAIL, PASSWORD)).status).toBe(302);
    for (const pathname of ['/overview', '/overview.data']) {
      // The server logs JSON lines on stdout (pino); the access line of each request aside.
      const before = server.output().length;
      const response = await admin.post(pathname, { anything: '1' });
      expect(response.status, pathname).toBe(405);
      expect(response.headers.get('allow'), pathname).toBe('GET, HEAD');
      expect(response.headers.get('content-security-policy'), pathname).toMatch(/script-src 'self' 'nonce-/);
      expect(response.headers.get('x-frame-options'), pathname).toBe('DENY');
      await response.arrayBuffer();
      await new Promise((resolve) => setTimeout(resolve, 100));
      const logged = server.output().slice(before);
      expect(logged, pathname).not.toMatch(/^\s+at /m);
      expect(logged, pathname).toMatch(/Refused POST \/overview.*405/);
      expect(logged.split('\n').filter((line) => line.trim() !== '' && !isAccessLine(line)), pathname).toHaveLength(1);
    }
  });
});

describe('a session cookie with broken percent-encoding is no session, not a 500', () => {
  it('the sign-in page, pages, data and actions answer as signed out, and signing in still works', async () => {
    const broken = new Client(server.url);
    broken.cookie = 'silo_admin_session=%E0%A4%A';
    const before = server.output().length;
    const login = await broken.get('/login');
    expect(login.status).toBe(200);
    await login.arrayBuffer();
    for (const pathname of ['/overview', '/instances.csv']) {
      const response = await broken.get(pathname);
      expect(response.status, pathname).toBe(302);
      expect(response.headers.get('location'), pathname).toMatch(/^\/login\?next=/);
    }
    // A .data request gets its redirect in the body (single fetch).
    const data = await broken.get('/overview.data');
    expect(data.status).toBe(202);
    expect(await data.text()).toContain('/login?next=');
    expect((await broken.post('/logout', {})).status).toBe(401);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(server.output().slice(before)).not.toMatch(/URIError|^\s+at /m);
    expect((await broken.signIn(EMAIL, PASSWORD)).status).toBe(302);
    expect((await broken.get('/overview')).status).toBe(200);
  });
});

describe('CSP with per-request nonces (finding 10.2)', () => {
  it('in chromium: the console hydrates and works, nothing is blocked, and an injected inline script is', async () => {
    const browser: Browser = await launchChromium();
    try {
      const page = await browser.newPage();
      const violations: string[] = [];
      page.on('console', (message) => {
        if (/Content Security Policy/i.test(message.text())) violations.push(message.text());
      });
      page.on('pageerror', (error) => violations.push(error.message));
      const documents: string[] = [];
      page.on('response', (response) => {
        if (response.request().resourceType() === 'document') documents.push(response.headers()['content-security-policy'] ?? '');
      });
      await page.goto(`${server.url}/login`);
      await page.getByLabel('Email').fill(EMAIL);
      await page.getByLabel('Password').fill('wrong-password-here');
      await page.getByRole('button', { name: 'Sign in' }).click();
      // The error appears without a page load: React Router's client submitted the form.
      await page.getByRole('alert').filter({ hasText: 'Wrong email or password.' }).waitFor();
      expect(documents).toHaveLength(1);
      await page.getByLabel('Password').fill(PASSWORD);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('table', { name: 'Instances' }).waitFor();
      // The overview's chart is drawn only after hydration (Recharts, inline styles via the CSSOM).
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Overview' }).click();
      await page.locator('figure.chart svg .recharts-bar-rectangle').first().waitFor();
      await page.reload();
      await page.locator('figure.chart svg .recharts-bar-rectangle').first().waitFor();
      // The SQL console's CodeMirror adds <style> elements: allowed with the page's nonce.
      await page.goto(`${server.url}/instances/alpha/console`);
      await page.locator('.cm-editor .cm-content').waitFor();
      expect(await page.locator('.cm-editor').evaluate((element) => getComputedStyle(element).display)).toBe('flex');
      expect(violations).toEqual([]);
      expect(documents).toHaveLength(3);
      for (const csp of documents) expect(csp).not.toContain('unsafe-inline');
      expect(documents[0]).not.toBe(documents[1]);

      const blocked = page.waitForEvent('console', (message) => /Content Security Policy/i.test(message.text()));
      await page.evaluate(() => {
        const script = document.createElement('script');
        script.textContent = 'document.documentElement.dataset.injected = "ran"';
        document.body.append(script);
      });
      await blocked;
      expect(await page.evaluate(() => document.documentElement.dataset['injected'])).toBeUndefined();
    } finally {
      await browser.close();
    }
  });
});

describe('Host allow-list (finding 10.3)', () => {
  it('refuses a forged Host (DNS rebinding to the loopback console) with 421', async () => {
    for (const host of [`rebind.evil.example:${port}`, 'rebind.evil.example', `127.0.0.1.evil.example:${port}`]) {
      const forged = await rawRequest(server.url, `GET /login HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`);
      expect(forged.status, host).toBe(421);
      expect(forged.body).toContain('ADMIN_ALLOWED_HOSTS');
    }
    // Also with a session cookie: the page's data never reaches the rebinding origin.
    const forgedAsset = await rawRequest(server.url, `GET /favicon.ico HTTP/1.1\r\nHost: rebind.evil.example:${port}\r\nConnection: close\r\n\r\n`);
    expect(forgedAsset.status).toBe(421);
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`]) {
      expect((await rawRequest(server.url, `GET /login HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`)).status, host).toBe(200);
    }
  });

  it('refuses to start with a bad ADMIN_ALLOWED_HOSTS or trust-proxy setting, naming it', () => {
    for (const [key, value] of [
      ['ADMIN_ALLOWED_HOSTS', 'http://admin.example/'],
      ['SILO_TRUST_PROXY', 'yes please'],
      ['ADMIN_TRUST_PROXY', '10.0.0.0/99'],
    ] as const) {
      const result = spawnSync(process.execPath, ['--conditions=@silo/source', '--import', 'tsx', 'server.ts'], {
        cwd: APP_DIR,
        env: { ...process.env, SILO_DATA_DIR: dataDir, ADMIN_PORT: '0', SILO_BACKUPS: 'off', [key]: value },
        encoding: 'utf8',
        timeout: 30_000,
      });
      expect(result.status, key).not.toBe(0);
      expect(result.stderr, key).toContain(key);
    }
  });
});

describe('client address behind a proxy (finding 10.4)', () => {
  it('honours SILO_TRUST_PROXY: the right-most hop is the client, whatever it wrote on the left', async () => {
    const proxiedDir = tempDataDir();
    const proxied = await startServer(proxiedDir, { ADMIN_PASSWORD: PASSWORD, ADMIN_SIGNIN_ATTEMPTS: '3', SILO_TRUST_PROXY: '1' });
    try {
      const attempt = async (xff: string): Promise<number> => {
        const client = new Client(proxied.url);
        const response = await client.request('/login', {
          method: 'POST',
          body: new URLSearchParams({ email: EMAIL, password: 'not-the-password', next: '/' }),
          headers: { 'x-forwarded-for': xff },
        });
        return response.status;
      };
      // The proxy appended 198.51.100.7; the client varies what it wrote in front of it.
      const codes: number[] = [];
      for (let i = 0; i < 5; i++) codes.push(await attempt(`10.9.9.${i}, 198.51.100.7`));
      expect(codes).toEqual([401, 401, 401, 429, 429]);
      // Another client behind the same proxy is not blocked by the first one's attempts.
      expect(await attempt('198.51.100.8')).toBe(401);
      const good = new Client(proxied.url);
      const signedIn = await good.request('/login', {
        method: 'POST',
        body: new URLSearchParams({ email: EMAIL, password: PASSWORD, next: '/' }),
        headers: { 'x-forwarded-for': '198.51.100.9' },
      });
      expect(signedIn.status).toBe(302);
    } finally {
      await proxied.stop();
      removeDir(proxiedDir);
    }
  });
});

describe('route discovery', () => {
  it('answers no route shapes without a session: the manifest is in the page, and /__manifest is an ordinary signed-out request', async () => {
    const login = await fetch(new URL('/login', server.url));
    // The build's version, as the page's manifest script names it.
    const version = /manifest-([0-9a-f]+)\.js/.exec(await login.text())?.[1];
    expect(version).toBeDefined();
    const manifest = await fetch(new URL(`/__manifest?version=${version ?? ''}&paths=${encodeURIComponent('/instances,/tokens')}`, server.url), { redirect: 'manual' });
    const body = await manifest.text();
    expect(manifest.headers.get('content-type') ?? '').not.toMatch(/json/);
    expect(body).not.toContain('routes/tokens');
    expect([302, 303, 404]).toContain(manifest.status);
  });
});
