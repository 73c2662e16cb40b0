import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, type Browser } from './browser';
import { PASSWORD, createList, get, post, uniqueName } from './http';
import { headerIn, rawRequest } from '@silo/web/raw-http';
import { APP_DIR, startServer, type TestServer } from './server';
import { csrfOf, join } from './team';

/** Issue #13, findings 6 and 10 (1–4), on the TODO app's real server. */
let server: TestServer;
let base: string;
let port: string;

beforeAll(async () => {
  server = await startServer();
  base = server.url;
  port = new URL(base).port;
});
afterAll(() => server?.stop());

describe('sign-in next stays within the list (finding 6)', () => {
  const escapes = [
    '//evil.example/',
    '/\\evil.example/',
    '/%09/evil.example/',
    '/%2F/evil.example/',
    '/%5C/evil.example/',
    'https://evil.example/',
    'javascript:alert(1)',
    '/t/LIST/../other',
    '/t/LIST/%2e%2e/other',
    '/t/LIST/.%2E/other/active',
    '/t/LIST/%252e%252e/other',
    '/t/LIST-evil',
    '/\uFF0Fevil.example',
  ];

  it('a sign-in redirect never leaves the list, whatever next says', async () => {
    const name = uniqueName('next');
    await createList(base, name);
    const email = `owner@${name}.test`;
    for (const escape of escapes) {
      const next = escape.replace('LIST', name);
      const signedIn = await post(base, `/t/${name}/sign-in`, { email, password: PASSWORD, next });
      expect(signedIn.status, next).toBe(302);
      expect(signedIn.location, next).toBe(`/t/${name}`);
      // Already signed in: the sign-in page's loader follows ?next= at once.
      const loader = await get(base, `/t/${name}/sign-in?next=${encodeURIComponent(next)}`, signedIn.cookie);
      expect(loader.status, next).toBe(302);
      expect(loader.location, next).toBe(`/t/${name}`);
    }
    const kept = await post(base, `/t/${name}/sign-in`, { email, password: PASSWORD, next: `/t/${name}/completed` });
    expect(kept.location).toBe(`/t/${name}/completed`);
  });

  it('CR/LF in next is the safe default, never a 500', async () => {
    const name = uniqueName('crlf');
    const cookie = await createList(base, name);
    const email = `owner@${name}.test`;
    // Inside the list's path, so only the CR/LF is wrong (it made an invalid Location: a 500).
    const posted = await post(base, `/t/${name}/sign-in`, { email, password: PASSWORD, next: `/t/${name}/\r\nSet-Cookie: evil=1` });
    expect(posted.status).toBe(302);
    expect(posted.location).toBe(`/t/${name}`);
    const loader = await get(base, `/t/${name}/sign-in?next=%2Ft%2F${name}%2F%0d%0aSet-Cookie:%20evil=1`, cookie);
    expect(loader.status).toBe(302);
    expect(loader.location).toBe(`/t/${name}`);
    expect(loader.headers.getSetCookie().some((value) => value.startsWith('evil='))).toBe(false);
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
    ['a POST to a route without an action', `POST /no-such-page HTTP/1.1\r\nHost: 127.0.0.1:PORT\r\nOrigin: http://127.0.0.1:PORT\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`, 405],
    ['a PUT to the start page', `PUT / HTTP/1.1\r\nHost: 127.0.0.1:PORT\r\nOrigin: http://127.0.0.1:PORT\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`, 405],
    ['a POST to a .data URL without an action', `POST /_root.data HTTP/1.1\r\nHost: 127.0.0.1:PORT\r\nOrigin: http://127.0.0.1:PORT\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`, 405],
    ['a cross-origin POST React Router refuses itself', `POST /t/x/sign-in HTTP/1.1\r\nHost: 127.0.0.1:PORT\r\nOrigin: http://evil.example\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`, 400],
    ['a cross-origin .data POST', `POST /t/x/sign-in.data HTTP/1.1\r\nHost: 127.0.0.1:PORT\r\nOrigin: http://evil.example\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`, 400],
    ['a bad manifest request', `GET /__manifest HTTP/1.1\r\nHost: 127.0.0.1:PORT\r\nConnection: close\r\n\r\n`, 204],
    ['a target that is not a path', `GET http://evil.example/ HTTP/1.1\r\nHost: 127.0.0.1:PORT\r\nConnection: close\r\n\r\n`, 400],
    ['a path with malformed percent-encoding', `GET /t/%E0%A4%A HTTP/1.1\r\nHost: 127.0.0.1:PORT\r\nConnection: close\r\n\r\n`, 400],
    ['a .data path with malformed percent-encoding', `GET /t/%E0%A4%A.data HTTP/1.1\r\nHost: 127.0.0.1:PORT\r\nConnection: close\r\n\r\n`, 400],
    ['a static file', `GET /favicon.ico HTTP/1.1\r\nHost: 127.0.0.1:PORT\r\nConnection: close\r\n\r\n`, 0],
  ];
  for (const [what, text, status] of requests) {
    it(`${what}: headers, and no stack trace in the log`, async () => {
      const before = server.output().length;
      const answer = await rawRequest(base, text.replaceAll('PORT', port));
      if (status !== 0) expect(answer.status).toBe(status);
      expect(headerIn(answer.head, 'content-security-policy')).toMatch(/script-src 'self' 'nonce-/);
      expect(headerIn(answer.head, 'x-frame-options')).toBe('DENY');
      expect(headerIn(answer.head, 'x-content-type-options')).toBe('nosniff');
      expect(headerIn(answer.head, 'referrer-policy')).toBe('same-origin');
      await new Promise((resolve) => setTimeout(resolve, 100));
      const logged = server.output().slice(before);
      expect(logged).not.toMatch(/^\s+at /m);
      // Besides the request's access-log line (a JSON line with its method and status), one line at most.
      expect(logged.split('\n').filter((line) => line.trim() !== '' && !isAccessLine(line)).length).toBeLessThanOrEqual(1);
    });
  }
});

describe('a method an address does not take', () => {
  /** A request with a form body, as a browser or a script would send it (same origin). */
  const send = (method: string, pathname: string, cookie = ''): Promise<Response> =>
    fetch(base + pathname, { method, headers: { cookie, origin: base, 'content-type': 'application/x-www-form-urlencoded' }, body: method === 'OPTIONS' ? null : 'a=b', redirect: 'manual' });

  it('is answered 405 with the Allow header RFC 9110 requires, naming what the route runs', async () => {
    const name = uniqueName('allow');
    const cookie = await createList(base, name);
    const cases: readonly [string, string, string][] = [
      ['POST', '/', 'GET, HEAD'],
      ['PUT', `/t/${name}`, 'GET, HEAD'],
      ['POST', '/no-such-page', 'GET, HEAD'],
      ['POST', `/t/${name}/export.json.data`, 'GET, HEAD'],
      ['DELETE', '/healthz', 'GET, HEAD'],
      ['OPTIONS', `/t/${name}/settings`, 'GET, HEAD, POST, PUT, PATCH, DELETE'],
      // The list's action is on its index route, which a mutation reaches only with ?index.
      ['OPTIONS', `/t/${name}?index`, 'GET, HEAD, POST, PUT, PATCH, DELETE'],
    ];
    for (const [method, pathname, allow] of cases) {
      const response = await send(method, pathname, cookie);
      await response.arrayBuffer();
      expect(response.status, `${method} ${pathname}`).toBe(405);
      expect(response.headers.get('allow'), `${method} ${pathname}`).toBe(allow);
    }
    const page = await send('POST', '/');
    expect(await page.text()).toMatch(/<h1[^>]*>405 Method Not Allowed<\/h1>/);
  });

  it('a download (a resource route) says so in its body, not "Unexpected Server Error"', async () => {
    const name = uniqueName('allow-export');
    const cookie = await createList(base, name);
    for (const download of ['export.json', 'export.sqlite']) {
      const response = await send('POST', `/t/${name}/${download}`, cookie);
      expect(response.status).toBe(405);
      expect(response.headers.get('allow')).toBe('GET, HEAD');
      expect(await response.json()).toEqual({ message: 'This address does not take POST requests. It answers GET, HEAD.' });
    }
  });

  it('a refused form is titled with its own status, not React Router’s "Internal Server Error"', async () => {
    const name = uniqueName('title');
    const member = await join(base, name, await createList(base, name), `member@${name}.test`);
    // A member's form on Settings: an out-of-date token would be answered in the page instead (stale-forms.test.ts).
    const { status, body } = await post(base, `/t/${name}/settings`, { intent: 'rename', displayName: 'Not theirs', csrf: await csrfOf(base, name, member) }, { cookie: member });
    expect(status).toBe(403);
    expect(body).toMatch(/<h1[^>]*>403 Forbidden<\/h1>/);
    expect(body).toContain('<title>403 Forbidden · Silo TODOs</title>');
    expect(body).toContain('Only the owner of this list can change its settings.');
  });
});

describe('CSP with per-request nonces (finding 10.2)', () => {
  it('has no unsafe-inline, a nonce that changes per request, and puts it on every inline script', async () => {
    const [first, second] = [await get(base, '/'), await get(base, '/')];
    const nonces = [first, second].map((page) => {
      const csp = page.headers.get('content-security-policy') ?? '';
      expect(csp).not.toContain('unsafe-inline');
      expect(csp).toMatch(/style-src 'self' 'nonce-[^']+';/);
      return /script-src 'self' 'nonce-([A-Za-z0-9+/=]+)'/.exec(csp)?.[1];
    });
    expect(nonces[0]).toBeDefined();
    expect(nonces[0]).not.toBe(nonces[1]);
    const scripts = [...first.body.matchAll(/<script\b[^>]*>/g)].map((match) => match[0]);
    expect(scripts.length).toBeGreaterThan(0);
    for (const script of scripts) expect(script).toContain(`nonce="${nonces[0]}"`);
    // No inline style attributes for style-src 'self' to block.
    expect(first.body).not.toMatch(/<[^>]+\sstyle="/);
  });

  it('in chromium: the app hydrates and works, nothing is blocked, and an injected inline script is', async () => {
    const browser: Browser = await launchBrowser();
    try {
      const page = await browser.newPage();
      const violations: string[] = [];
      page.on('console', (message) => {
        if (/Content Security Policy/i.test(message.text())) violations.push(message.text());
      });
      page.on('pageerror', (error) => violations.push(error.message));
      const name = uniqueName('csp');
      // Creating a list and adding a todo run through React Router's client (hydrated).
      await page.goto(base);
      await page.waitForSelector('html[data-hydrated]');
      await page.getByLabel('List name').fill(name);
      await page.getByLabel('Your email').fill(`owner@${name}.test`);
      await page.getByLabel('Password').fill(PASSWORD);
      await page.getByRole('button', { name: 'Create list' }).click();
      await page.waitForURL(`${base}/t/${name}`);
      await page.waitForSelector('html[data-hydrated]');
      await page.locator('.new-todo').fill('nonce works');
      await page.locator('.new-todo').press('Enter');
      await page.locator('.todo-list li label', { hasText: 'nonce works' }).waitFor();
      // A client-side navigation (no document request) through the filter links.
      await page.getByRole('link', { name: 'Completed' }).click();
      await page.waitForURL(`${base}/t/${name}/completed`);
      expect(violations).toEqual([]);

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

describe('error pages in the browser', () => {
  it('hydrate without an error and keep the request id the server wrote', async () => {
    const browser: Browser = await launchBrowser();
    try {
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on('pageerror', (error) => errors.push(error.message));
      page.on('console', (message) => {
        if (message.type() === 'error') errors.push(message.text());
      });
      const response = await page.goto(`${base}/t/${uniqueName('missing')}`);
      expect(response?.status()).toBe(404);
      // The error boundary has no hydration marker: its scripts load, then hydration runs.
      await page.waitForLoadState('networkidle');
      await page.waitForFunction(() => document.readyState === 'complete');
      await page.waitForTimeout(300);
      // A failed hydration renders the page again in the browser, where no id is known.
      expect(await page.locator('.request-id').textContent()).toMatch(/^Request id: [0-9a-f-]{36}$/);
      expect(errors.filter((message) => !/404/.test(message))).toEqual([]);
    } finally {
      await browser.close();
    }
  });
});

describe('Host allow-list (finding 10.3)', () => {
  it('refuses a forged Host (DNS rebinding) with 421 and serves the listen address', async () => {
    const forged = await rawRequest(base, `GET / HTTP/1.1\r\nHost: rebind.evil.example:${port}\r\nConnection: close\r\n\r\n`);
    expect(forged.status).toBe(421);
    expect(forged.body).toContain('does not answer for the host "rebind.evil.example:');
    expect(forged.body).toContain('SILO_ALLOWED_HOSTS');
    expect(headerIn(forged.head, 'content-security-policy')).toBeDefined();
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`]) {
      const served = await rawRequest(base, `GET / HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`);
      expect(served.status, host).toBe(200);
    }
  });

  it('serves exactly the hosts SILO_ALLOWED_HOSTS lists', async () => {
    const listed = await startServer({ SILO_ALLOWED_HOSTS: 'todos.example.com' });
    try {
      const listedPort = new URL(listed.url).port;
      expect((await rawRequest(listed.url, 'GET / HTTP/1.1\r\nHost: todos.example.com\r\nConnection: close\r\n\r\n')).status).toBe(200);
      expect((await rawRequest(listed.url, `GET / HTTP/1.1\r\nHost: 127.0.0.1:${listedPort}\r\nConnection: close\r\n\r\n`)).status).toBe(421);
    } finally {
      await listed.stop();
    }
  });

  it('refuses to start with a bad SILO_ALLOWED_HOSTS or SILO_TRUST_PROXY, naming it', () => {
    for (const [key, value] of [
      ['SILO_ALLOWED_HOSTS', 'https://todos.example.com/'],
      ['SILO_TRUST_PROXY', 'yes please'],
    ] as const) {
      const result = spawnSync(process.execPath, ['--conditions=@silo/source', '--import', 'tsx', path.join(APP_DIR, 'server.ts')], {
        cwd: APP_DIR,
        env: { ...process.env, PORT: '0', SILO_DATA_DIR: server.dataDir, [key]: value },
        encoding: 'utf8',
        timeout: 30_000,
      });
      expect(result.status, key).not.toBe(0);
      expect(result.stderr, key).toContain(key);
    }
  });
});

describe('client address behind a proxy (finding 10.4)', () => {
  it('a client-written left-most X-Forwarded-For cannot dodge the per-address sign-in limit', async () => {
    const proxied = await startServer({ SILO_TRUST_PROXY: '1', SILO_SIGNIN_LIMIT_PER_IP: '3' });
    try {
      const name = uniqueName('xff');
      await createList(proxied.url, name);
      const origin = new URL(proxied.url).origin;
      const attempt = async (xff: string, email: string): Promise<number> =>
        (
          await fetch(`${proxied.url}/t/${name}/sign-in`, {
            method: 'POST',
            redirect: 'manual',
            headers: { 'content-type': 'application/x-www-form-urlencoded', origin, 'x-forwarded-for': xff },
            body: new URLSearchParams({ email, password: 'wrong password!' }),
          })
        ).status;
      // The proxy appends the address it saw (198.51.100.7); the client varies what it wrote
      // in front, and a different email each time keeps the per-account limit out of it.
      const codes: number[] = [];
      for (let i = 0; i < 5; i++) codes.push(await attempt(`10.9.9.${i}, 198.51.100.7`, `nobody${i}@${name}.test`));
      expect(codes.slice(0, 3)).toEqual([400, 400, 400]);
      expect(codes.slice(3)).toEqual([429, 429]);
      // Another client behind the same proxy has its own budget.
      expect(await attempt('198.51.100.8', `someone@${name}.test`)).toBe(400);
    } finally {
      await proxied.stop();
    }
  });
});
