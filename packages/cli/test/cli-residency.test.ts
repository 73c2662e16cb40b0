import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ResidencyListing, ResidencyReportFile } from '@silo/fleet';
import { json, silo, tempDir } from './helpers';

describe('silo residency', () => {
  let dir: string;
  let cleanup: () => void;
  let reportDir: string;
  let removeReports: () => void;

  beforeAll(async () => {
    ({ dir, cleanup } = tempDir('silo-residency-'));
    ({ dir: reportDir, cleanup: removeReports } = tempDir('silo-residency-report-'));
    for (const args of [
      ['create', 'acme', '--jurisdiction', 'eu'],
      ['create', 'globex', '--jurisdiction', 'us'],
      ['clone', 'acme', 'acme-branch'],
      ['backup', 'now', 'acme'],
    ]) {
      const run = await silo(dir, args);
      expect(run.code, `${args.join(' ')}: ${run.stderr}`).toBe(0);
    }
  }, 60_000);

  afterAll(() => {
    cleanup();
    removeReports();
  });

  it('lists every place of every instance with its jurisdiction and filesystem, clones with lineage; exit 0', async () => {
    const run = await silo(dir, ['residency']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('Residency of the fleet');
    expect(run.stdout).toMatch(/acme-branch\s+eu · eu-west · ready · local:eu-west\/[0-9a-f]{2}\/acme-branch\.db · cloned from acme/);
    expect(run.stdout).toContain(path.join(dir, 'regions', 'us-east', 'tenants'));
    expect(run.stdout).toContain('backup-chunks');
    expect(run.stdout).toContain('OK: every byte found is in a place of its own jurisdiction');
    // Every region folder is on this machine's one disk: a warning, not a failure.
    expect(run.stdout).toContain('WARNING (SHARED_FILESYSTEM)');
    expect(run.stdout).toContain('regions are labels, not places');
  });

  it('--json: the listing, with devices and mount points from /proc/self/mountinfo', async () => {
    const listing = json<ResidencyListing>(await silo(dir, ['residency', '--json']));
    expect(listing.ok).toBe(true);
    expect(listing.instances.map((instance) => instance.name)).toEqual(['acme', 'acme-branch', 'globex']);
    const acme = listing.instances.find((instance) => instance.name === 'acme');
    expect(acme?.clones).toEqual(['acme-branch']);
    expect(new Set(acme?.places.map((place) => place.kind))).toEqual(new Set(['database', 'backup-points', 'backup-chunks']));
    expect(acme?.places.every((place) => place.jurisdiction === 'eu' && place.region === 'eu-west')).toBe(true);
    const globex = listing.instances.find((instance) => instance.name === 'globex');
    expect(globex?.places.every((place) => place.jurisdiction === 'us')).toBe(true);
    const usFolder = listing.folders.find((folder) => folder.role === 'region' && folder.region === 'us-east');
    expect(usFolder?.jurisdiction).toBe('us');
    expect(usFolder?.filesystem.device).toMatch(/^\d+:\d+$/);
    expect(usFolder?.filesystem.mountPoint).toMatch(/^\//);
    expect(usFolder?.filesystem.fsType).toBeTruthy();
    expect(listing.warnings.map((warning) => warning.code)).toEqual(['SHARED_FILESYSTEM']);

    const one = json<ResidencyListing>(await silo(dir, ['residency', '--instance', 'globex', '--json']));
    expect(one.instances.map((instance) => instance.name)).toEqual(['globex']);
    expect((await silo(dir, ['residency', '--instance', 'nobody'])).code).toBe(3);
  });

  it('--report writes JSON and Markdown whose SHA-256 verifies, and the audit log records who and the hash', async () => {
    // Outside the data folder: a report inside it would itself be a file of no instance.
    const out = reportDir;
    const run = await silo(dir, ['residency', '--report', '-o', out]);
    expect(run.code, run.stderr).toBe(0);
    const files = readdirSync(out).sort();
    expect(files).toHaveLength(2);
    expect(files[0]).toMatch(/^residency-\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d-\d{3}Z\.json$/);
    expect(files[1]).toMatch(/\.md$/);
    const report = JSON.parse(readFileSync(path.join(out, files[0] as string), 'utf8')) as ResidencyReportFile;
    // Anyone can check it without Silo: the hash of the listing re-serialised.
    const computed = createHash('sha256').update(JSON.stringify(report.listing)).digest('hex');
    expect(computed).toBe(report.sha256);
    expect(run.stdout).toContain(`SHA-256 of the listing: ${report.sha256}`);
    const page = readFileSync(path.join(out, files[1] as string), 'utf8');
    expect(page).toContain(report.sha256);
    expect(page).toContain('### acme (eu, eu-west, ready)');
    expect(page).toContain('Result: PASS');
    // A changed listing no longer matches.
    const tampered = { ...report.listing, ok: !report.listing.ok };
    expect(createHash('sha256').update(JSON.stringify(tampered)).digest('hex')).not.toBe(report.sha256);

    const audit = json<{ items: { operation: string; actor: string; detail: { sha256?: string } | null }[] }>(await silo(dir, ['audit', '--json']));
    const entry = audit.items.find((item) => item.operation === 'residency-report');
    expect(entry?.actor).toMatch(/^cli:/);
    expect(entry?.detail?.sha256).toBe(report.sha256);
  });

  it('-o is the folder of --report: refused without --report, or when it names a file, writing nothing', async () => {
    const { dir: out, cleanup: done } = tempDir('silo-residency-o-');
    try {
      const alone = await silo(dir, ['residency', '-o', out]);
      expect(alone.code).toBe(2);
      expect(alone.stderr).toMatch(/^silo: -o\/--output is the folder for --report; add --report.* \[USAGE\]/);
      const file = path.join(out, 'report.json');
      writeFileSync(file, '', { mode: 0o600 });
      const onFile = await silo(dir, ['residency', '--report', '-o', file]);
      expect(onFile.code).toBe(2);
      expect(onFile.stderr).toContain(`-o ${file} is a file; --report writes its JSON and Markdown files into a folder`);
      expect(onFile.stderr).not.toContain('    at ');
      expect(readdirSync(out)).toEqual(['report.json']);
      // A path ending in / is a folder, made if missing.
      const fresh = await silo(dir, ['residency', '--report', '-o', `${path.join(out, 'audit')}/`]);
      expect(fresh.code, fresh.stderr).toBe(0);
      expect(readdirSync(path.join(out, 'audit'))).toHaveLength(2);
    } finally {
      done();
    }
  });

  it('a file of an EU instance planted in a US region folder: exit 1, naming it', async () => {
    const listing = json<ResidencyListing>(await silo(dir, ['residency', '--json']));
    const acmeFile = listing.instances.find((instance) => instance.name === 'acme')?.places.find((place) => place.kind === 'database')?.location as string;
    const planted = path.join(dir, 'regions', 'us-east', 'staging', 'acme.export.db');
    mkdirSync(path.dirname(planted), { recursive: true });
    copyFileSync(acmeFile, planted);
    try {
      const run = await silo(dir, ['residency']);
      expect(run.code).toBe(1);
      // The size depends on the app's schema: the file's own, as the listing reports it.
      const bytes = statSync(planted).size;
      expect(run.stdout).toContain(`VIOLATION: ${Math.round(bytes / 1024)} KB of acme (jurisdiction eu) at ${planted}, a place of jurisdiction us.`);
      expect(run.stdout).toContain('FAILED: 1 violation, 0 orphans.');
      const scoped = json<ResidencyListing>(await silo(dir, ['residency', '--instance', 'acme', '--json']));
      expect(scoped.ok).toBe(false);
      expect(scoped.violations).toEqual([{ instance: 'acme', instanceJurisdiction: 'eu', location: planted, placeJurisdiction: 'us', bytes }]);
      // Another instance's own listing is not failed by acme's bytes.
      expect((await silo(dir, ['residency', '--instance', 'globex'])).code).toBe(0);
    } finally {
      rmSync(planted, { force: true });
    }
  });

  it('silo import of a local file stages the copy inside the target region, never in TMPDIR (killed right after staging)', async () => {
    const { dir: scratch, cleanup: removeScratch } = tempDir('silo-residency-import-');
    try {
      // Content of its own (a random title: the statement's text holds no data), so its bytes are unique.
      const write = await silo(dir, ['query', 'globex', "INSERT INTO todos (title, completed, created_at, updated_at) VALUES (hex(randomblob(32)), 0, 0, 0)", '--write']);
      expect(write.code, write.stderr).toBe(0);
      const source = path.join(scratch, 'globex.sqlite');
      expect((await silo(dir, ['export', 'globex', '-o', source])).code).toBe(0);
      const tmp = path.join(scratch, 'tmp');
      mkdirSync(tmp);
      const killed = await silo(dir, ['import', source, 'globex-import', '--jurisdiction', 'us'], { env: { SILO_FAILPOINT: 'import:after-stage', TMPDIR: tmp } });
      expect(killed.code).toBe(null); // SIGKILL, as by kill -9, with the staged copy on disk
      const bytes = readFileSync(source);
      // The export is a byte copy of globex's own file, which does not count.
      const copies = [...filesIn(dir), ...filesIn(tmp)].filter((file) => path.basename(file) !== 'globex.db' && readFileSync(file).equals(bytes));
      expect(copies).toHaveLength(1);
      expect(copies[0]).toMatch(new RegExp(`^${path.join(dir, 'regions', 'us-east', 'tenants').replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}/[0-9a-f]{2}/globex-import\\.db\\.tmp-`));
      // tsx keeps its compile cache in TMPDIR: code, not data.
      expect(readdirSync(tmp).filter((entry) => !entry.startsWith('tsx-'))).toEqual([]);
      // The next command reconciles the interrupted import: nothing of it is left, nothing orphaned.
      const after = json<ResidencyListing>(await silo(dir, ['residency', '--json']));
      expect(after.ok).toBe(true);
      expect(after.instances.find((instance) => instance.name === 'globex-import')?.places ?? []).toEqual([]);
    } finally {
      removeScratch();
    }
  });

  it('an orphan (a file of no instance) is reported: exit 1', async () => {
    const planted = path.join(dir, 'regions', 'eu-west', 'tenants', 'ab', 'ghost.db');
    const stray = path.join(dir, 'regions', 'eu-west', 'backups', 'instances', '00000000-0000-0000-0000-000000000000', 'chunks', 'abc');
    mkdirSync(path.dirname(planted), { recursive: true });
    mkdirSync(path.dirname(stray), { recursive: true });
    writeFileSync(planted, 'not anyone');
    writeFileSync(stray, 'nobody');
    try {
      const run = await silo(dir, ['residency', '--json']);
      expect(run.code).toBe(1);
      const listing = json<ResidencyListing>(run);
      expect(listing.orphans.map((orphan) => orphan.location).sort()).toEqual([planted, stray].sort());
      expect(listing.orphans.find((orphan) => orphan.location === planted)?.reason).toContain('"ghost", which is not in the catalog');
      expect(listing.violations).toEqual([]);
      const text = await silo(dir, ['residency']);
      expect(text.stdout).toContain(`ORPHAN: ${planted}`);
    } finally {
      rmSync(planted, { force: true });
      rmSync(stray, { force: true });
    }
  });
});

function filesIn(root: string): string[] {
  return readdirSync(root, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => path.join(entry.parentPath, entry.name));
}
