import { describe, expect, it } from 'vitest';
import { tempFleet } from './helpers';

describe('admin directory (in the catalog)', () => {
  it('creates admins with normalised emails, refuses duplicates and bad addresses', async () => {
    const { fleet } = await tempFleet();
    expect(fleet.admins.count()).toBe(0);
    const alice = fleet.admins.create(' Alice@Example.com ', '$argon2id$fake');
    expect(alice.email).toBe('alice@example.com');
    expect(() => fleet.admins.create('ALICE@example.com', 'x')).toThrow(expect.objectContaining({ code: 'INVALID_INPUT', message: expect.stringContaining('already exists') }));
    expect(() => fleet.admins.create('not an email', 'x')).toThrow(/not an email/);
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
});
