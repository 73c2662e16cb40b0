/**
 * Sign-in limits and account control over HTTP: one address flooding the form with many
 * emails, and an admin disabled or removed by `silo admin` in another process while signed in.
 * Addresses other than 127.0.0.1 are loopback addresses too (127.0.0.0/8), so the server sees
 * each "client" at an address of its own.
 */
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { openFleet, type Fleet } from '@silo/fleet';
import { hashPassword } from '@silo/web';
import { Client, ensureBuilt, removeDir, siloCli, startServer, tempDataDir, text, todoSchema, type AdminServer } from './helpers';

const EMAIL = 'admin@localhost';
const PASSWORD = 'signin-limits-password-1';
const SECOND = 'second@example.com';
const SECOND_PASSWORD = 'second-admin-password-1';
const CLIENT_ATTEMPTS = 10;
const DAY = 24 * 60 * 60 * 1000;

interface Answer {
  readonly status: number;
  readonly retryAfter: string | undefined;
  readonly body: string;
}

/** A sign-in form POST sent from the loopback address `from`. */
function signInFrom(base: string, from: string, email: string, password: string): Promise<Answer> {
  const body = new URLSearchParams({ email, password, next: '/' }).toString();
  const url = new URL('/login', base);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: url.hostname,
        port: url.port,
        path: url.pathname,
        method: 'POST',
        localAddress: from,
        headers: { origin: base, 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, retryAfter: res.headers['retry-after'], body: text }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

async function withFleet<T>(dataDir: string, work: (fleet: Fleet) => T): Promise<T> {
  const fleet = await openFleet({ schema: await todoSchema(), dataDir, reconcileOnOpen: false });
  try {
    return work(fleet);
  } finally {
    await fleet.close();
  }
}

describe('admin sign-in limits and account control over HTTP', () => {
  let server: AdminServer;
  let dataDir: string;

  beforeAll(async () => {
    dataDir = tempDataDir();
    const fleet = await openFleet({ schema: await todoSchema(), dataDir });
    // Admins exist already, so the server creates none from ADMIN_PASSWORD.
    fleet.admins.create(EMAIL, await hashPassword(PASSWORD), 'seed');
    fleet.admins.create(SECOND, await hashPassword(SECOND_PASSWORD), 'seed');
    // An entry from 400 days ago: the server's start-up housekeeping removes it (365 days by default).
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(Date.now() - 400 * DAY);
    fleet.admins.create('long-gone@example.com', 'not-a-real-hash', 'seed-of-old');
    vi.useRealTimers();
    await fleet.close();
    await ensureBuilt();
    server = await startServer(dataDir, { ADMIN_SIGNIN_ATTEMPTS: '3', ADMIN_SIGNIN_CLIENT_ATTEMPTS: String(CLIENT_ATTEMPTS) });
  });

  afterAll(async () => {
    await server?.stop();
    if (dataDir) removeDir(dataDir);
  });

  it('prunes audit entries past the retention when the server starts', async () => {
    await withFleet(dataDir, (fleet) => {
      expect(fleet.audit({ actor: 'seed-of-old' }).total).toBe(0);
      expect(fleet.audit({ actor: 'seed' }).total).toBe(2);
    });
  });

  it('a flood of failed sign-ins with 200 emails from one address writes a bounded audit log, then 429 with Retry-After', async () => {
    const from = '127.0.0.2';
    const answers: Answer[] = [];
    for (let i = 0; i < 200; i++) answers.push(await signInFrom(server.url, from, `flood-${i}@example.com`, 'not-the-password'));
    expect(answers.slice(0, CLIENT_ATTEMPTS).map((answer) => answer.status)).toEqual(Array(CLIENT_ATTEMPTS).fill(401));
    const blocked = answers.slice(CLIENT_ATTEMPTS);
    expect(blocked.every((answer) => answer.status === 429)).toBe(true);
    expect(blocked.every((answer) => Number(answer.retryAfter) > 0 && Number(answer.retryAfter) <= 900)).toBe(true);
    expect(text(blocked[0]?.body ?? '')).toContain('Too many sign-in attempts');
    // The right password does not get through a blocked address either.
    expect((await signInFrom(server.url, from, EMAIL, PASSWORD)).status).toBe(429);

    await withFleet(dataDir, (fleet) => {
      const rows = fleet.audit({ actor: `anonymous@${from}`, limit: 1_000 });
      // One entry per attempt the limit let through, and one for the block: not one per request.
      expect(rows.total).toBe(CLIENT_ATTEMPTS + 1);
      expect(rows.items.filter((row) => row.error === 'rate limited')).toHaveLength(1);
    });
    // Other addresses are not blocked by it.
    const admin = new Client(server.url);
    expect((await admin.signIn(EMAIL, PASSWORD)).status).toBe(302);
  });

  it("a stranger guessing the admin's password blocks only their own address", async () => {
    const stranger = '127.0.0.3';
    const tries = [];
    for (let i = 0; i < 4; i++) tries.push((await signInFrom(server.url, stranger, EMAIL, `guess-${i}-password`)).status);
    expect(tries).toEqual([401, 401, 401, 429]);
    // The real admin, from elsewhere, signs in.
    expect((await signInFrom(server.url, '127.0.0.4', EMAIL, PASSWORD)).status).toBe(302);
    expect((await new Client(server.url).signIn(EMAIL, PASSWORD)).status).toBe(302);
  });

  it('`silo admin disable` in another process ends a signed-in session at its next request; a disabled admin gets the wrong-password answer', async () => {
    const second = new Client(server.url);
    expect((await second.signIn(SECOND, SECOND_PASSWORD)).status).toBe(302);
    expect((await second.get('/')).status).toBe(200);

    const disabled = await siloCli(dataDir, ['admin', 'disable', SECOND]);
    expect(disabled.stderr).toBe('');
    expect(disabled.code).toBe(0);

    const page = await second.get('/');
    expect(page.status).toBe(302);
    expect(page.headers.get('location')).toContain('/login');
    expect((await second.post('/instances/x', { intent: 'delete' })).status).toBe(401);

    const wrongPassword = await signInFrom(server.url, '127.0.0.5', SECOND, 'not-the-password-at-all');
    const disabledSignIn = await signInFrom(server.url, '127.0.0.5', SECOND, SECOND_PASSWORD);
    expect(disabledSignIn.status).toBe(401);
    expect(disabledSignIn.status).toBe(wrongPassword.status);
    const error = (answer: Answer): string | undefined => /role="alert">([^<]*)</.exec(answer.body)?.[1];
    expect(error(disabledSignIn)).toBe('Wrong email or password.');
    expect(error(disabledSignIn)).toBe(error(wrongPassword));

    expect((await siloCli(dataDir, ['admin', 'enable', SECOND])).code).toBe(0);
    expect((await second.signIn(SECOND, SECOND_PASSWORD)).status).toBe(302);
    expect((await second.get('/')).status).toBe(200);
    const removed = await siloCli(dataDir, ['admin', 'remove', SECOND]);
    expect(removed.code).toBe(0);
    expect((await second.get('/')).status).toBe(302);
    expect((await signInFrom(server.url, '127.0.0.6', SECOND, SECOND_PASSWORD)).status).toBe(401);

    await withFleet(dataDir, (fleet) => {
      const changes = fleet.audit({ limit: 1_000 }).items.filter((entry) => /^admin (disable|enable|remove)$/.test(entry.operation));
      expect(changes.map((entry) => [entry.operation, entry.actor.startsWith('cli:'), entry.detail?.['email']])).toEqual([
        ['admin remove', true, SECOND],
        ['admin enable', true, SECOND],
        ['admin disable', true, SECOND],
      ]);
      const refused = fleet.audit({ actor: 'anonymous@127.0.0.5' }).items.map((entry) => entry.error);
      expect(refused).toEqual(['account disabled', 'wrong password']);
    });
  });
});
