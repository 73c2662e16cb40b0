import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { Catalog } from '../src/catalog/catalog';
import { resolveSettings, settingsFromEnv } from '../src/index';
import { tempDir, tempFleet } from './helpers';

const DAY = 24 * 60 * 60 * 1000;

/** Writes audit entries dated `at` straight into the catalog of `dataDir`, as an old log would hold. */
function writeOldEntries(dataDir: string, at: number, count: number, operation = 'create'): void {
  const catalog = new Catalog({ kind: 'file', file: path.join(dataDir, 'catalog.db') });
  try {
    for (let i = 0; i < count; i++) catalog.audits.append({ at, actor: 'seed', operation, instance: `old-${i}`, outcome: 'ok', error: null, detail: null });
  } finally {
    catalog.close();
  }
}

describe('admin directory (in the catalog)', () => {
  it('creates admins with normalised emails, refuses duplicates and bad addresses', async () => {
    const { fleet } = await tempFleet();
    expect(fleet.admins.count()).toBe(0);
    const alice = fleet.admins.create(' Alice@Example.com ', '$argon2id$fake');
    expect(alice.email).toBe('alice@example.com');
    expect(() => fleet.admins.create('ALICE@example.com', 'x')).toThrow(expect.objectContaining({ code: 'INVALID_INPUT', message: expect.stringContaining('already exists') }));
    expect(() => fleet.admins.create('not an email', 'x')).toThrow(/not an email/);
    for (const hostile of ['x\u001b[2J@b.example', 'evil\u202egro@b.example', 'a\u0000b@c.example']) {
      expect(() => fleet.admins.create(hostile, 'x')).toThrow(expect.objectContaining({ code: 'INVALID_INPUT', message: expect.stringContaining('control or invisible') }));
    }
    expect(fleet.admins.findByEmail('alice@EXAMPLE.com')).toMatchObject({ id: alice.id, passwordHash: '$argon2id$fake' });
    expect(fleet.admins.findByEmail('bob@example.com')).toBeUndefined();
    expect(fleet.admins.list().map((u) => u.email)).toEqual(['alice@example.com']);
  });

  it('keeps sessions until they expire, and a password reset ends them', async () => {
    const { fleet } = await tempFleet();
    const alice = fleet.admins.create('alice@example.com', 'hash-1');
    const now = Date.now();
    fleet.admins.createSession(alice.id, 'session-hash', now + 60_000);
    fleet.admins.createSession(alice.id, 'old-hash', now - 1);
    expect(fleet.admins.session('session-hash')?.user.email).toBe('alice@example.com');
    expect(fleet.admins.session('old-hash')).toBeUndefined();
    expect(fleet.admins.session('unknown')).toBeUndefined();
    fleet.admins.recordSignIn(alice.id);
    expect(fleet.admins.findByEmail('alice@example.com')?.lastSignInAt).not.toBeNull();

    expect(fleet.admins.setPasswordHash('alice@example.com', 'hash-2')).toBe(true);
    expect(fleet.admins.session('session-hash')).toBeUndefined();
    expect(fleet.admins.findByEmail('alice@example.com')?.passwordHash).toBe('hash-2');
    expect(fleet.admins.setPasswordHash('nobody@example.com', 'x')).toBe(false);
  });

  it('audits account changes and sign-ins, never the secrets', async () => {
    const { fleet } = await tempFleet();
    const alice = fleet.admins.create('alice@example.com', 'secret-hash', 'cli:root');
    fleet.admins.recordSignIn(alice.id);
    fleet.admins.recordSignInFailure('Alice@Example.com', '203.0.113.9', 'wrong password');
    fleet.admins.setPasswordHash('alice@example.com', 'new-secret-hash', 'cli:root');
    const entries = fleet.audit().items.map((e) => [e.operation, e.actor, e.outcome, e.error]);
    expect(entries).toEqual([
      ['admin reset-password', 'cli:root', 'ok', null],
      ['admin sign-in', 'anonymous@203.0.113.9', 'error', 'wrong password'],
      ['admin sign-in', 'admin:alice@example.com', 'ok', null],
      ['admin add', 'cli:root', 'ok', null],
    ]);
    expect(JSON.stringify(fleet.audit().items)).not.toContain('secret-hash');
  });

  it('keeps a bounded console history per instance, newest first', async () => {
    const { fleet } = await tempFleet();
    for (let i = 0; i < 60; i++) {
      fleet.admins.recordQuery({ instance: 'acme', actor: 'admin:alice', sql: `SELECT ${i}`, mode: 'read', ok: true, durationMs: 1.5, rowCount: 1, at: 1_000 + i });
    }
    fleet.admins.recordQuery({ instance: 'globex', actor: 'admin:alice', sql: 'DELETE FROM todos', mode: 'write', ok: false, durationMs: 2, rowCount: 0 });
    const recent = fleet.admins.recentQueries('acme', 5);
    expect(recent.map((q) => q.sql)).toEqual(['SELECT 59', 'SELECT 58', 'SELECT 57', 'SELECT 56', 'SELECT 55']);
    expect(recent[0]).toMatchObject({ ok: true, durationMs: 1.5, rowCount: 1, mode: 'read' });
    expect(fleet.admins.recentQueries('acme', 1_000)).toHaveLength(50);
    expect(fleet.admins.recentQueries('globex')[0]).toMatchObject({ mode: 'write', ok: false });
  });

  it('disables, enables and removes admins: sessions end at once, audited, never the last active admin', async () => {
    const { fleet } = await tempFleet();
    const alice = fleet.admins.create('alice@example.com', 'hash-a');
    const bob = fleet.admins.create('bob@example.com', 'hash-b');
    const far = Date.now() + 60_000;
    expect(fleet.admins.createSession(alice.id, 'alice-session', far)).toBe(true);
    expect(fleet.admins.createSession(bob.id, 'bob-session', far)).toBe(true);

    expect(fleet.admins.disable('Alice@Example.com', 'cli:root')).toBe(true);
    expect(fleet.admins.session('alice-session')).toBeUndefined();
    expect(fleet.admins.findByEmail('alice@example.com')?.disabledAt).toEqual(expect.any(Number));
    expect(fleet.admins.disable('alice@example.com', 'cli:root')).toBe(false);
    // A sign-in that passed the password check while the account was being disabled gets no session.
    expect(fleet.admins.createSession(alice.id, 'late-session', far)).toBe(false);
    expect(fleet.admins.session('late-session')).toBeUndefined();
    expect(fleet.admins.countActive()).toBe(1);

    // Bob is now the only admin who can sign in: neither disabling nor removing him is allowed.
    expect(() => fleet.admins.disable('bob@example.com', 'cli:root')).toThrow(
      expect.objectContaining({ code: 'LAST_ADMIN', message: expect.stringContaining('silo admin add') }),
    );
    expect(() => fleet.admins.remove('bob@example.com', 'cli:root')).toThrow(expect.objectContaining({ code: 'LAST_ADMIN' }));
    expect(fleet.admins.session('bob-session')?.user.email).toBe('bob@example.com');
    // A disabled admin is no active admin, so removing one is always allowed.
    expect(() => fleet.admins.remove('nobody@example.com')).toThrow(expect.objectContaining({ code: 'ADMIN_NOT_FOUND' }));

    expect(fleet.admins.enable('alice@example.com', 'cli:root')).toBe(true);
    expect(fleet.admins.enable('alice@example.com', 'cli:root')).toBe(false);
    expect(fleet.admins.findByEmail('alice@example.com')?.passwordHash).toBe('hash-a');
    fleet.admins.remove('bob@example.com', 'cli:root');
    expect(fleet.admins.session('bob-session')).toBeUndefined();
    expect(fleet.admins.list().map((user) => user.email)).toEqual(['alice@example.com']);

    const entries = fleet.audit({ actor: 'cli:root' }).items.map((entry) => [entry.operation, entry.detail?.['email']]);
    expect(entries).toEqual([
      ['admin remove', 'bob@example.com'],
      ['admin enable', 'alice@example.com'],
      ['admin disable', 'alice@example.com'],
    ]);
  });

  it('prunes audit entries past SILO_AUDIT_RETENTION_DAYS at start-up, with doctor and hourly as the log is written', async () => {
    const dataDir = tempDir();
    const now = Date.now();
    writeOldEntries(dataDir, now - 400 * DAY, 3);
    writeOldEntries(dataDir, now - 10 * DAY, 2);
    // Opening the fleet runs the start-up housekeeping: the default retention is 365 days.
    const { fleet } = await tempFleet({ dataDir });
    expect(fleet.audit({ actor: 'seed' }).total).toBe(2);

    // An entry that ages past the retention while the server runs goes with the next write after an hour.
    writeOldEntries(dataDir, now - 366 * DAY, 1);
    await fleet.create('fresh', { jurisdiction: 'eu' });
    expect(fleet.audit({ actor: 'seed' }).total).toBe(3);
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(now + 61 * 60 * 1000);
    await fleet.delete('fresh');
    vi.useRealTimers();
    expect(fleet.audit({ actor: 'seed' }).total).toBe(2);

    writeOldEntries(dataDir, now - 366 * DAY, 4);
    await fleet.doctor({ purgeExpired: false });
    expect(fleet.audit({ actor: 'seed' }).total).toBe(2);
  });

  it('keeps the audit log forever with SILO_AUDIT_RETENTION_DAYS=0', async () => {
    expect(resolveSettings(settingsFromEnv({ SILO_DATA_DIR: '/srv/silo', SILO_AUDIT_RETENTION_DAYS: '0', SILO_AUDIT_MAX_FAILED_SIGNINS: '500' }))).toMatchObject({
      auditRetentionMs: 0,
      auditMaxFailedSignIns: 500,
    });
    expect(resolveSettings({ dataDir: '/srv/silo' })).toMatchObject({ auditRetentionMs: 365 * DAY, auditMaxFailedSignIns: 10_000 });
    const dataDir = tempDir();
    writeOldEntries(dataDir, Date.now() - 4_000 * DAY, 2);
    const { fleet } = await tempFleet({ dataDir, auditRetentionDays: 0 });
    expect(fleet.pruneAuditLog()).toBe(0);
    expect(fleet.audit({ actor: 'seed' }).total).toBe(2);
  });

  it('keeps at most SILO_AUDIT_MAX_FAILED_SIGNINS failed sign-ins, the oldest going first, and nothing else', async () => {
    const { fleet } = await tempFleet({ auditMaxFailedSignIns: 25 });
    const alice = fleet.admins.create('alice@example.com', 'hash', 'cli:root');
    fleet.admins.recordSignIn(alice.id);
    for (let i = 0; i < 200; i++) fleet.admins.recordSignInFailure(`flood-${i}@example.com`, `198.51.100.${i % 250}`, 'unknown email');
    const failures = fleet.audit({ operation: 'admin sign-in', outcome: 'error', limit: 1_000 });
    expect(failures.total).toBe(25);
    expect(failures.items[0]?.detail?.['email']).toBe('flood-199@example.com');
    expect(failures.items.at(-1)?.detail?.['email']).toBe('flood-175@example.com');
    // The account's own entries are no failed sign-ins: kept.
    expect(fleet.audit({ operation: 'admin sign-in', outcome: 'ok' }).total).toBe(1);
    expect(fleet.audit({ operation: 'admin add' }).total).toBe(1);
  });
});
