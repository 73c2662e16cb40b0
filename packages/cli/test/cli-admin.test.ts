import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyPassword } from '@silo/web';
import { openFleet } from '@silo/fleet';
import { HAS_SCRIPT, json, silo, siloOnTerminal, siloWithInput, tempDir, todoSchema } from './helpers';

async function storedHash(dataDir: string, email: string): Promise<string | undefined> {
  const fleet = await openFleet({ schema: await todoSchema(), dataDir, reconcileOnOpen: false });
  try {
    return fleet.admins.findByEmail(email)?.passwordHash;
  } finally {
    await fleet.close();
  }
}

describe('silo admin', () => {
  let dir: string;
  let cleanup: () => void;

  beforeAll(() => {
    ({ dir, cleanup } = tempDir('silo-cli-admin-'));
  });
  afterAll(() => cleanup());

  it('adds an admin with a password from stdin, stored hashed', async () => {
    const added = await siloWithInput(dir, ['admin', 'add', 'Ops@Example.com', '--password-stdin'], 'a-long-enough-password\n');
    expect(added.stderr).toBe('');
    expect(added.code).toBe(0);
    expect(added.stdout).toContain('ops@example.com');
    expect(added.stdout).not.toContain('a-long-enough-password');
    const hash = await storedHash(dir, 'ops@example.com');
    expect(hash).toBeDefined();
    expect(hash).not.toContain('a-long-enough-password');
    expect(await verifyPassword(hash ?? '', 'a-long-enough-password')).toBe(true);
  });

  it('refuses a duplicate and a weak password', async () => {
    const duplicate = await siloWithInput(dir, ['admin', 'add', 'ops@example.com', '--password-stdin'], 'another-long-password\n');
    expect(duplicate.code).toBe(1);
    expect(duplicate.stderr).toContain('already exists');
    const weak = await siloWithInput(dir, ['admin', 'add', 'weak@example.com', '--password-stdin'], 'short\n');
    expect(weak.code).toBe(1);
    expect(weak.stderr).toContain('at least');
  });

  it('generates a one-time password when there is no terminal and no stdin flag', async () => {
    const added = await silo(dir, ['admin', 'add', 'gen@example.com']);
    expect(added.code).toBe(0);
    const password = /Password: (\S+)/.exec(added.stdout)?.[1];
    expect(password).toBeDefined();
    expect(added.stderr).toContain('shown once');
    expect(await verifyPassword((await storedHash(dir, 'gen@example.com')) ?? '', password ?? '')).toBe(true);
  });

  it('resets a password, and refuses an unknown admin', async () => {
    const reset = await siloWithInput(dir, ['admin', 'reset-password', 'ops@example.com', '--password-stdin'], 'a-brand-new-password\n');
    expect(reset.code).toBe(0);
    expect(await verifyPassword((await storedHash(dir, 'ops@example.com')) ?? '', 'a-brand-new-password')).toBe(true);
    const unknown = await siloWithInput(dir, ['admin', 'reset-password', 'nobody@example.com', '--password-stdin'], 'a-brand-new-password\n');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('No admin');
  });

  it('lists admins, as text and JSON, without hashes', async () => {
    const text = await silo(dir, ['admin', 'list']);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('gen@example.com');
    const list = json<{ email: string; passwordHash?: string }[]>(await silo(dir, ['admin', 'list', '--json']));
    expect(list.map((user) => user.email)).toEqual(['gen@example.com', 'ops@example.com']);
    expect(list.every((user) => user.passwordHash === undefined)).toBe(true);
  });

  it('disables, enables and removes admins, audited with who and which account, never the last active admin', async () => {
    // A console session of ops, opened in this process: the CLI runs in another.
    const fleet = await openFleet({ schema: await todoSchema(), dataDir: dir, reconcileOnOpen: false });
    try {
      const ops = fleet.admins.findByEmail('ops@example.com');
      expect(fleet.admins.createSession(ops?.id ?? -1, 'ops-session', Date.now() + 60_000)).toBe(true);

      const disabled = await silo(dir, ['admin', 'disable', 'Ops@Example.com']);
      expect(disabled.stderr).toBe('');
      expect(disabled.code).toBe(0);
      expect(disabled.stdout).toContain('Disabled ops@example.com');
      expect(fleet.admins.session('ops-session')).toBeUndefined();
      expect((await silo(dir, ['admin', 'disable', 'ops@example.com'])).stdout).toContain('already disabled');
      expect((await silo(dir, ['admin', 'list'])).stdout).toMatch(/ops@example\.com .*disabled/);
      const listed = json<{ email: string; disabledAt: number | null }[]>(await silo(dir, ['admin', 'list', '--json']));
      expect(listed.find((user) => user.email === 'ops@example.com')?.disabledAt).toEqual(expect.any(Number));

      // gen is the last active admin now.
      for (const verb of ['disable', 'remove']) {
        const refused = await silo(dir, ['admin', verb, 'gen@example.com']);
        expect(refused.code, verb).toBe(1);
        expect(refused.stderr, verb).toContain('gen@example.com is the last active admin');
        expect(refused.stderr, verb).toContain('silo admin add');
      }
      const unknown = await silo(dir, ['admin', 'remove', 'nobody@example.com']);
      expect(unknown.code).toBe(1);
      expect(unknown.stderr).toContain('No admin with the email nobody@example.com');

      expect((await silo(dir, ['admin', 'enable', 'ops@example.com'])).stdout).toContain('Enabled ops@example.com');
      const removed = await silo(dir, ['admin', 'remove', 'gen@example.com']);
      expect(removed.code).toBe(0);
      expect(removed.stdout).toContain('Removed gen@example.com');
      expect(fleet.admins.list().map((user) => [user.email, user.disabledAt])).toEqual([['ops@example.com', null]]);

      const audit = json<{ items: { actor: string; operation: string; detail: { email?: string } | null }[] }>(await silo(dir, ['audit', '--json', '--limit', '10']));
      const changes = audit.items.filter((entry) => /^admin (disable|enable|remove)$/.test(entry.operation)).map((entry) => [entry.operation, entry.detail?.email]);
      expect(changes).toEqual([
        ['admin remove', 'gen@example.com'],
        ['admin enable', 'ops@example.com'],
        ['admin disable', 'ops@example.com'],
      ]);
      expect(audit.items.filter((entry) => entry.operation.startsWith('admin ')).every((entry) => entry.actor.startsWith('cli:'))).toBe(true);
    } finally {
      await fleet.close();
    }
  });

  it.skipIf(!HAS_SCRIPT)('never shows a password typed at the prompt, and Ctrl+C there ends the command with nothing changed', async () => {
    const typed = await siloOnTerminal(dir, ['admin', 'add', 'typed@example.com'], 'New password', 'a-typed-secret-password');
    expect(typed.code, typed.output).toBe(0);
    expect(typed.output).toContain('Added admin typed@example.com.');
    expect(typed.output).not.toContain('a-typed-secret');
    expect(await verifyPassword((await storedHash(dir, 'typed@example.com')) ?? '', 'a-typed-secret-password')).toBe(true);

    const reset = await siloOnTerminal(dir, ['admin', 'reset-password', 'typed@example.com'], 'New password', 'another-typed-password');
    expect(reset.code, reset.output).toBe(0);
    expect(reset.output).not.toContain('another-typed');
    expect(await verifyPassword((await storedHash(dir, 'typed@example.com')) ?? '', 'another-typed-password')).toBe(true);

    const stopped = await siloOnTerminal(dir, ['admin', 'add', 'stopped@example.com'], 'New password', 'half\u0003');
    expect(stopped.code, stopped.output).toBe(130);
    expect(stopped.output).toContain('silo: Stopped at the prompt; nothing was changed. [INTERRUPTED]');
    expect(stopped.output).not.toMatch(/unexpected error|\n\s+at /);
    expect(await storedHash(dir, 'stopped@example.com')).toBeUndefined();
  });
});
