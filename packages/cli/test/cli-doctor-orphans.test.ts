import { cpSync, existsSync, rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditEntry, DoctorReport, InstanceInfo } from '@silo/fleet';
import { json, silo, tempDir } from './helpers';

/** `silo doctor --mark-orphan-backups` (issue #21): backup sets no catalog row points at are found and marked. */
describe('silo doctor and orphan backup sets', () => {
  let source: string;
  let target: string;
  const cleanups: (() => void)[] = [];

  beforeAll(() => {
    const [first, second] = [tempDir(), tempDir()];
    source = first.dir;
    target = second.dir;
    cleanups.push(first.cleanup, second.cleanup);
  });

  afterAll(() => {
    for (const cleanup of cleanups) cleanup();
  });

  it('reports an unmarked set with --scan (exit 1), marks it with --mark-orphan-backups (audited), then reports none', async () => {
    // Backups of an instance this fleet's catalog has never known (copied from another fleet's location).
    const created = json<InstanceInfo>(await silo(source, ['create', 'stray', '--jurisdiction', 'eu', '--json']));
    expect((await silo(source, ['backup', 'now', 'stray'])).code).toBe(0);
    expect((await silo(target, ['create', 'home', '--jurisdiction', 'eu'])).code).toBe(0);
    const from = path.join(source, 'regions', 'eu-west', 'backups', 'instances', created.id);
    const to = path.join(target, 'regions', 'eu-west', 'backups', 'instances', created.id);
    // Copied owner-only, as an operator moving backups would (doctor also reports loose permissions).
    const umask = process.umask(0o077);
    try {
      cpSync(from, to, { recursive: true });
    } finally {
      process.umask(umask);
    }

    const scanned = await silo(target, ['doctor', '--scan']);
    expect(scanned.code, scanned.stderr).toBe(1);
    expect(scanned.stdout).toContain('orphan backup sets (no purge marker)');
    expect(scanned.stdout).toContain(`instances/${created.id} (stray, 1 point)`);
    expect(scanned.stdout).toContain('silo doctor --mark-orphan-backups');

    const marked = await silo(target, ['doctor', '--mark-orphan-backups', '--json']);
    expect(marked.code, marked.stderr).toBe(0);
    const report = json<DoctorReport>(marked);
    expect(report.orphanBackupsMarked).toBe(true);
    expect(report.orphanBackups?.map((set) => set.instanceId)).toEqual([created.id]);
    expect(existsSync(path.join(to, 'purged.json'))).toBe(true);
    const audit = json<{ items: AuditEntry[] }>(await silo(target, ['audit', '--operation', 'backup-mark-orphans', '--json']));
    expect(audit.items[0]).toMatchObject({ outcome: 'ok', actor: expect.stringMatching(/^cli:/), detail: { count: 1 } });

    const again = await silo(target, ['doctor', '--scan']);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('No problems need attention');
  });

  it('says how many instances are failed, with where to see why, though they need nothing done (exit 0)', async () => {
    const { dir, cleanup } = tempDir();
    cleanups.push(cleanup);
    expect((await silo(dir, ['create', 'lost', '--jurisdiction', 'eu'])).code).toBe(0);
    // Its file gone (a volume not mounted): the scan marks it failed and reports it (exit 1).
    rmSync(path.join(dir, 'regions', 'eu-west', 'tenants'), { recursive: true, force: true });
    const plain = await silo(dir, ['doctor']);
    expect(plain.stdout).not.toContain('failed (');
    expect((await silo(dir, ['doctor', '--scan'])).code).toBe(1);
    const later = await silo(dir, ['doctor']);
    expect(later.code, later.stderr).toBe(0);
    expect(later.stdout).toContain('1 instance failed (a create, clone, import or restore that did not finish, or a database file lost): `silo instances list --state failed` shows why.');
    expect(later.stdout).toContain('No problems need attention');
  });
});
