/**
 * An outside review's probes of the running console (December 2026): forms posted twice
 * without JavaScript (a double click, a reload that resubmits the POST) whose second run is
 * not harmless, and POST-only addresses asked with other methods.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openFleet } from '@silo/fleet';
import { headerIn, rawRequest } from '@silo/web/raw-http';
import { Client, removeDir, signedInAdmin, tempDataDir, text, todoSchema, type AdminServer } from './helpers';

const PASSWORD = 'review-probes-password-1';

let server: AdminServer;
let dataDir: string;
let admin: Client;
/** The backup point of acme holding only the todo "A" (B was added after it). */
let pointAt: number;

/** The titles of acme's todos, read by a fleet of the test's own on the same data folder. */
async function titles(): Promise<string[]> {
  const fleet = await openFleet({ schema: await todoSchema(), dataDir });
  try {
    return (await fleet.query('acme', 'SELECT title FROM todos ORDER BY title')).rows.map((row) => String(row[0]));
  } finally {
    await fleet.close();
  }
}

/** The labels of the API tokens in the catalog. */
async function tokenLabels(): Promise<string[]> {
  const fleet = await openFleet({ schema: await todoSchema(), dataDir });
  try {
    return fleet.apiTokens.list().map((token) => token.label);
  } finally {
    await fleet.close();
  }
}

/** The hidden one-time token inside the form labelled `label` (or by the element `#label`) of `html` (none: empty, as the form posts it). */
function onceTokenOf(html: string, label: string): string {
  const start = html.indexOf(label.startsWith('#') ? `aria-labelledby="${label.slice(1)}"` : `aria-label="${label}"`);
  expect(start, label).toBeGreaterThan(-1);
  return /name="once" value="([^"]+)"/.exec(html.slice(start, html.indexOf('</form>', start)))?.[1] ?? '';
}

beforeAll(async () => {
  dataDir = tempDataDir();
  const fleet = await openFleet({ schema: await todoSchema(), dataDir });
  await fleet.create('acme', { jurisdiction: 'eu', actor: 'seed' });
  await fleet.query('acme', "INSERT INTO todos (title, created_at, updated_at) VALUES ('A', 0, 0)", [], { readOnly: false });
  pointAt = (await fleet.backups.now('acme', { actor: 'seed' })).takenAt;
  await new Promise((resolve) => setTimeout(resolve, 20));
  await fleet.query('acme', "INSERT INTO todos (title, created_at, updated_at) VALUES ('B', 0, 0)", [], { readOnly: false });
  await fleet.close();
  ({ server, admin } = await signedInAdmin({ dataDir, password: PASSWORD }));
});

afterAll(async () => {
  await server?.stop();
  if (dataDir) removeDir(dataDir);
});

describe('POST-only addresses asked with another method', () => {
  it('/import answers GET and HEAD with a plain 405 naming POST, not a 400 "Unexpected Server Error"', async () => {
    for (const method of ['GET', 'HEAD']) {
      const before = server.output().length;
      const response = await admin.request('/import', { method });
      const body = await response.text();
      expect(response.status, method).toBe(405);
      expect(response.headers.get('allow'), method).toBe('POST');
      expect(body, method).not.toContain('Unexpected Server Error');
      if (method === 'GET') expect(body).toContain('POST');
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(server.output().slice(before), method).not.toMatch(/did not provide a `loader`/);
    }
  });
});

describe('OPTIONS below sign-in', () => {
  it('is refused alike everywhere (405 with Allow), never answered with a download or data', async () => {
    for (const pathname of ['/instances.csv', '/instances.json', '/palette?q=a', '/residency/report', '/instances/acme/export', '/tokens', '/']) {
      const before = server.output().length;
      const response = await admin.request(pathname, { method: 'OPTIONS' });
      const body = await response.text();
      expect(response.status, pathname).toBe(405);
      // A page's 405 names its route's methods (the app server's completion), a resource route's the console's.
      expect(response.headers.get('allow'), pathname).toMatch(/^GET, HEAD\b/);
      expect(response.headers.get('content-type') ?? '', pathname).not.toMatch(/csv|json|gzip/);
      expect(body, pathname).not.toMatch(/acme,|"name":"acme"|eu-west/);
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(server.output().slice(before), pathname).not.toMatch(/^\s+at /m);
    }
    // Signed out, as any other method: nothing but the refusal.
    expect((await new Client(server.url).request('/instances.csv', { method: 'OPTIONS' })).status).toBe(401);
  });
});

describe('API token: Create posted twice without JavaScript', () => {
  it('makes one token, and the repeat shows the same secret (the browser showed only the last answer)', async () => {
    const page = await (await admin.get('/tokens')).text();
    const once = onceTokenOf(page, 'Create a token');
    const fields = { intent: 'create', scope: 'read', jurisdiction: '', days: '7', label: 'double click', once };
    // A double click: the second post leaves while the first still runs.
    const [first, second] = await Promise.all([admin.post('/tokens', fields), admin.post('/tokens', fields)]);
    expect([first.status, second.status]).toEqual([200, 200]);
    const secretOf = (html: string): string | undefined => /data-testid="token-secret">(silo_[^<]+)</.exec(html)?.[1];
    const secrets = [secretOf(await first.text()), secretOf(await second.text())];
    expect(secrets[0]).toMatch(/^silo_/);
    expect(secrets[1]).toBe(secrets[0]);
    // A reload that resubmits the POST afterwards.
    const again = await admin.post('/tokens', fields);
    expect(secretOf(await again.text())).toBe(secrets[0]);
    expect(await tokenLabels()).toEqual(['double click']);
    // Another rendering of the form makes a token of its own.
    const fresh = onceTokenOf(await (await admin.get('/tokens')).text(), 'Create a token');
    const other = await admin.post('/tokens', { ...fields, once: fresh });
    expect(secretOf(await other.text())).not.toBe(secrets[0]);
  });
});

describe('Backups: in-place Restore and Undo posted twice without JavaScript', () => {
  it('a repeated restore keeps the replaced data within Undo, and a repeated undo does not undo it again', async () => {
    expect(await titles()).toEqual(['A', 'B']);
    const page = await (await admin.get('/instances/acme')).text();
    const restore = {
      intent: 'backup-restore',
      point: String(pointAt),
      moment: '',
      mode: 'in-place',
      newName: '',
      confirm: 'acme',
      once: onceTokenOf(page, 'Restore from a backup'),
    };
    // The result page resubmitted (a reload), after the first post finished.
    const first = await admin.post('/instances/acme', restore);
    expect(first.status).toBe(200);
    expect(text(await first.text())).toContain('Restored acme in place');
    const repeat = await admin.post('/instances/acme', restore);
    expect(repeat.status).toBe(200);
    expect(text(await repeat.text())).toContain('Restored acme in place');
    expect(await titles()).toEqual(['A']);

    const undoPage = await (await admin.get('/instances/acme')).text();
    expect(undoPage).toContain('value="backup-undo"');
    const undoOnce = /name="once" value="([^"]+)"\/><input type="hidden" name="intent" value="backup-undo"/.exec(undoPage)?.[1] ?? '';
    const undo = { intent: 'backup-undo', once: undoOnce };
    const [undone, undoneAgain] = await Promise.all([admin.post('/instances/acme', undo), admin.post('/instances/acme', undo)]);
    expect([undone.status, undoneAgain.status]).toEqual([200, 200]);
    expect(text(await undoneAgain.text())).toContain('Undone: acme is back');
    expect(await titles()).toEqual(['A', 'B']);
    const resubmitted = await admin.post('/instances/acme', undo);
    expect(resubmitted.status).toBe(200);
    expect(await titles()).toEqual(['A', 'B']);
  });
});

describe('Data browser: Insert posted twice without JavaScript', () => {
  it('inserts one row; the repeat is told it was inserted', async () => {
    const address = '/instances/acme/data?table=todos&mode=write';
    const page = await (await admin.get(address)).text();
    const fields = {
      intent: 'insert',
      table: 'todos',
      'v:title': 'posted twice',
      'v:created_at': '0',
      'v:updated_at': '0',
      once: onceTokenOf(page, '#insert-h'),
    };
    const answers = await Promise.all([admin.post(address, fields), admin.post(address, fields)]);
    expect(answers.map((answer) => answer.status)).toEqual([200, 200]);
    for (const answer of answers) expect(text(await answer.text())).toContain('Inserted a row into todos.');
    // A reload that resubmits the POST afterwards.
    expect((await admin.post(address, fields)).status).toBe(200);
    expect((await titles()).filter((title) => title === 'posted twice')).toHaveLength(1);
    // Another rendering of the form inserts a row of its own.
    const fresh = onceTokenOf(await (await admin.get(address)).text(), '#insert-h');
    expect((await admin.post(address, { ...fields, once: fresh })).status).toBe(200);
    expect((await titles()).filter((title) => title === 'posted twice')).toHaveLength(2);
  });
});

describe('SQL console: a write posted twice without JavaScript', () => {
  it('runs once; the repeat gets the first run\'s answer, and a read is not held back', async () => {
    const page = await (await admin.get('/instances/acme/console')).text();
    const fields = {
      sql: "INSERT INTO todos (title, created_at, updated_at) VALUES ('console twice', 0, 0)",
      mode: 'write',
      once: onceTokenOf(page, 'Run SQL'),
    };
    const answers = await Promise.all([admin.post('/instances/acme/console', fields), admin.post('/instances/acme/console', fields)]);
    expect(answers.map((answer) => answer.status)).toEqual([200, 200]);
    expect((await admin.post('/instances/acme/console', fields)).status).toBe(200);
    expect((await titles()).filter((title) => title === 'console twice')).toHaveLength(1);
    // The same statement from a fresh rendering (Run pressed again on the answer's page) runs.
    const fresh = onceTokenOf(await (await admin.get('/instances/acme/console')).text(), 'Run SQL');
    expect((await admin.post('/instances/acme/console', { ...fields, once: fresh })).status).toBe(200);
    expect((await titles()).filter((title) => title === 'console twice')).toHaveLength(2);
    // Reads are run each time (nothing to protect): the same token reads the new rows.
    const read = { sql: "SELECT count(*) AS n FROM todos WHERE title = 'console twice'", once: fresh };
    expect(text(await (await admin.post('/instances/acme/console', read)).text())).toMatch(/\bn 2\b/);
  });
});

describe('libSQL token: Create posted twice without JavaScript', () => {
  it('issues one token, audited once; the repeat shows the same token', async () => {
    const page = await (await admin.get('/instances/acme')).text();
    const fields = { intent: 'libsql-create', days: '1', once: onceTokenOf(page, 'Create a libSQL token') };
    const tokenIn = (html: string): string | undefined => /id="libsql-token"[^>]*value="([^"]+)"/.exec(html)?.[1];
    const answers = await Promise.all([admin.post('/instances/acme', fields), admin.post('/instances/acme', fields)]);
    expect(answers.map((answer) => answer.status)).toEqual([200, 200]);
    const tokens = await Promise.all(answers.map(async (answer) => tokenIn(await answer.text())));
    expect(tokens[0]).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(tokens[1]).toBe(tokens[0]);
    expect(tokenIn(await (await admin.post('/instances/acme', fields)).text())).toBe(tokens[0]);
    const fleet = await openFleet({ schema: await todoSchema(), dataDir });
    try {
      expect(fleet.audit({ instance: 'acme', operation: 'token create' }).items).toHaveLength(1);
    } finally {
      await fleet.close();
    }
  });
});

describe('Audit log: a refused name is shown as sent, and its link stays on the instance page', () => {
  it('a name with "..", slashes, "?" or a bidi override neither leads elsewhere nor reorders the text', async () => {
    const names = ['../tokens', '../../..//evil.example', 'x?y#z', 'evil\u202Etxt.exe'];
    for (const name of names) {
      const refused = await admin.post('/?index', { intent: 'create', name, jurisdiction: 'eu' });
      expect(refused.status, name).toBe(400);
      await refused.arrayBuffer();
    }
    const html = await (await admin.get('/audit')).text();
    const hrefs = [...html.matchAll(/<a href="([^"]*)"[^>]*>([^<]*)<\/a>/g)].map((match) => match[1] ?? '');
    for (const name of ['../tokens', '../../..//evil.example', 'x?y#z']) {
      expect(hrefs, name).toContain(`/instances/${encodeURIComponent(name)}`);
    }
    for (const href of hrefs.filter((candidate) => candidate.includes('tokens') || candidate.includes('evil'))) {
      expect(href, href).toMatch(/^\/instances\/[^/?#]+$/);
    }
    // The override is shown as an escape, not applied to the page's text (the page's data for
    // hydration, in its script, keeps the name as it is).
    expect(html.replace(/<script\b[\s\S]*?<\/script>/g, '')).not.toContain('\u202E');
    expect(text(html)).toContain('evil\\u{202E}txt.exe');
    // Followed, the link is this console's "no such instance", not another page.
    const followed = await admin.get(`/instances/${encodeURIComponent('../tokens')}`);
    expect(followed.status).toBe(404);
    expect(text(await followed.text())).toContain('No instance named "../tokens"');
  });
});

describe('a download form posted after the session ended', () => {
  /** A form post as a browser sends it (fetch would send Sec-Fetch-Mode: cors whatever it is told). */
  const browserPost = (pathname: string, referer: string, fetchMetadata = true) => {
    const body = 'csrf=from-the-old-session';
    const metadata = fetchMetadata ? 'Sec-Fetch-Mode: navigate\r\nSec-Fetch-Dest: document\r\n' : '';
    const host = new URL(server.url).host;
    // The raw answer is read as latin1: its body back to UTF-8 ("·" in the title).
    return rawRequest(
      server.url,
      `POST ${pathname} HTTP/1.1\r\nHost: ${host}\r\nOrigin: ${server.url}\r\nReferer: ${referer}\r\n${metadata}Accept: text/html,application/xhtml+xml,*/*;q=0.8\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`,
    ).then((answer) => ({ ...answer, body: Buffer.from(answer.body, 'latin1').toString('utf8') }));
  };

  it('shows the sign-in-again page (back to the page of the form), not a bare "Sign in first."', async () => {
    for (const [pathname, from] of [
      ['/instances/acme/export', '/instances/acme'],
      ['/bulk/export', '/?q=ac'],
      ['/residency/report', '/residency'],
      ['/query/csv', '/query'],
    ] as const) {
      const answer = await browserPost(pathname, `${server.url}${from}`);
      expect(answer.status, pathname).toBe(401);
      expect(headerIn(answer.head, 'content-type'), pathname).toMatch(/^text\/html/);
      expect(answer.body, pathname).toContain('<title>Signed out · Silo admin</title>');
      expect(answer.body, pathname).toContain(`href="/login?next=${encodeURIComponent(from)}&amp;expired=1"`);
      expect(text(answer.body), pathname).toContain('Your session has ended, so this was not done.');
    }
    // A browser without Fetch Metadata, by its Accept.
    expect((await browserPost('/query/csv', `${server.url}/query`, false)).body).toContain('href="/login?next=%2Fquery&amp;expired=1"');
    // A referrer from elsewhere is not followed: back to the address posted to.
    const foreign = await browserPost('/instances/acme/export', 'http://evil.example/instances/acme');
    expect(foreign.body).toContain('href="/login?next=%2Finstances%2Facme%2Fexport&amp;expired=1"');
    // A script's request (fetch, XMLHttpRequest) keeps its plain 401, which the page handles itself.
    const scripted = await new Client(server.url).request('/instances/acme/export', { method: 'POST', body: new URLSearchParams({ csrf: 'x' }) });
    expect(scripted.status).toBe(401);
    expect(await scripted.text()).toBe('Sign in first.');
  });
});
