/**
 * `npm run turso:smoke`: Silo's Turso engine against a real Turso organization, for what only
 * the real service can prove (docs/turso.md, "What only the smoke run verifies").
 *
 *   TURSO_API_TOKEN=… TURSO_ORG=… [TURSO_GROUPS=eu=silo-eu,us=silo-us] npm run turso:smoke
 *
 * Without TURSO_API_TOKEN and TURSO_ORG it says it skipped and exits 0. TURSO_API_URL points it
 * at another Platform API (the stand-in: then TURSO_TLS=0), which is how the script itself is
 * tested (packages/fleet/test/turso-smoke.test.ts).
 *
 * Steps: the engine contract's core (create, write, read, version, integrity, size, query,
 * usage, quota, paged inventory); create → write → clone → point-in-time branch → export →
 * import → delete; `silo move` of 3 instances from local files; a catalog opened on an embedded
 * replica. Every database it makes carries a fresh prefix, and all of them are deleted at the
 * end, after a failure too. Prints what it verified; exits 1 if any step failed.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { isSiloError, loadSiloConfig, openFleet, type Fleet, type Region, type TursoSettingsInput } from '../packages/fleet/src/index';
import { resolveTursoSettings } from '../packages/fleet/src/internal';
import { PlatformApi } from '../packages/fleet/src/engines/turso-api';
import { DEFAULT_TURSO_API_URL } from '../packages/fleet/src/engines/turso-config';
import { TursoPlatform } from '../packages/fleet/src/engines/turso-platform';
import { parseAllowedLocations } from '../packages/fleet/src/engines/turso-residency';
import { SecretScrubber } from '../packages/fleet/src/engines/turso-secrets';

const env = process.env;
const token = env['TURSO_API_TOKEN']?.trim();
const org = env['TURSO_ORG']?.trim();

if (!token || !org) {
  console.log('turso smoke: skipped (set TURSO_API_TOKEN and TURSO_ORG to run it against a Turso organization).');
  process.exit(0);
}

const apiUrl = env['TURSO_API_URL']?.trim() || DEFAULT_TURSO_API_URL;
const tls = env['TURSO_TLS'] !== '0';
const groups = Object.fromEntries(
  (env['TURSO_GROUPS'] ?? 'eu=silo-eu,us=silo-us').split(',').map((entry) => entry.split('=').map((part) => part.trim()) as [string, string]),
);
/** Turso's point-in-time branches may miss up to 15 s of writes before the timestamp: wait past that. */
const pitrWaitMs = Number(env['TURSO_SMOKE_PITR_WAIT_MS'] ?? 16_000);
const prefix = `smk${randomBytes(3).toString('hex')}-`;
const scratch = mkdtempSync(path.join(tmpdir(), 'silo-turso-smoke-'));
const scrubber = new SecretScrubber();
const platform = new TursoPlatform({ org, apiToken: token, apiUrl: apiUrl.replace(/\/+$/, '').replace(/\/v1$/, ''), scrubber });
const api = new PlatformApi({ apiUrl: apiUrl.replace(/\/+$/, '').replace(/\/v1$/, ''), apiToken: token, scrubber });

const settings: TursoSettingsInput = {
  org,
  apiToken: token,
  apiUrl,
  groups,
  tls,
  databasePrefix: prefix,
  readyTimeoutMs: 60_000,
  ...(env['SILO_TURSO_LOCATIONS'] ? { locations: parseAllowedLocations(env['SILO_TURSO_LOCATIONS']) } : {}),
};
resolveTursoSettings(settings); // a configuration problem stops here, before anything is created

// The TODO demo's tenant schema, from its config at the repository root (the environment left out).
const todoSchema = (await loadSiloConfig({ path: path.join(import.meta.dirname, '../silo.config.ts'), env: {} })).fleet.schema;
const verified: string[] = [];
const failed: string[] = [];

async function step(name: string, work: () => Promise<string | undefined>): Promise<void> {
  const started = Date.now();
  try {
    const detail = await work();
    verified.push(`${name}${detail ? `: ${detail}` : ''} (${Date.now() - started} ms)`);
    console.log(`  ok    ${name}${detail ? ` — ${detail}` : ''}`);
  } catch (error) {
    const message = scrubber.scrub(isSiloError(error) ? `${error.code}: ${error.message}` : error instanceof Error ? error.message : String(error));
    failed.push(`${name}: ${message}`);
    console.log(`  FAIL  ${name} — ${message}`);
  }
}

function check(condition: boolean, what: string): void {
  if (!condition) throw new Error(`expected ${what}`);
}

async function turso(dataDir: string, extra: Partial<Parameters<typeof openFleet>[0]> = {}): Promise<Fleet> {
  return openFleet({ schema: todoSchema, dataDir, engineKind: 'turso', turso: settings, warn: (message) => console.log(`  warn  ${message}`), ...extra });
}

async function addTodo(fleet: Fleet, name: string, title: string): Promise<void> {
  await fleet.query(name, 'INSERT INTO todos (title, completed, created_at, updated_at) VALUES (?, 0, 1, 1)', [title], { readOnly: false });
}

async function titles(fleet: Fleet, name: string): Promise<string[]> {
  const result = await fleet.query(name, 'SELECT title FROM todos ORDER BY id');
  return result.rows.map((row) => String(row[0]));
}

/** Every database this run made (they all carry its prefix), deleted through the paged list. */
async function cleanUp(): Promise<string[]> {
  const removed: string[] = [];
  for (const group of new Set(Object.values(groups))) {
    for (const database of await platform.listDatabases(group)) {
      if (!database.name.startsWith(prefix)) continue;
      await platform.deleteDatabase(database.name);
      removed.push(database.name);
    }
  }
  return removed;
}

console.log(`turso smoke: organization "${org}" at ${apiUrl}, groups ${JSON.stringify(groups)}, prefix "${prefix}"`);
try {
  const dataDir = path.join(scratch, 'fleet');
  let fleet: Fleet | undefined;

  await step('start-up: groups exist, residency of their locations, tokens minted with an expiration', async () => {
    fleet = await turso(dataDir);
    return `${fleet.regions.all.length} regions`;
  });

  if (fleet) {
    const open = fleet;
    const eu = open.regions.all.find((region) => region.jurisdiction === 'eu') as Region;
    await step('engine core: create, write, read, schema version, integrity, size, read-only query, usage, quota, paged inventory', async () => {
      const engine = open.engine;
      const url = engine.locate('core', eu);
      await engine.create(url, todoSchema);
      check(await engine.exists(url), 'the database to exist');
      const connection = engine.connect(url);
      try {
        await connection.execute('INSERT INTO todos (title, completed, created_at, updated_at) VALUES (?, 0, 1, 1)', ['core']);
        check((await connection.execute('SELECT count(*) AS n FROM todos')).rows[0]?.['n'] === 1, 'one row');
      } finally {
        connection.close();
      }
      check((await engine.schemaVersion(url)) === todoSchema.latestVersion, 'the latest schema version');
      check((await engine.integrityCheck(url)).length === 0, 'integrity_check ok');
      check((await engine.sizeOf(url)) > 0, 'a size');
      const read = await engine.query(url, { sql: 'SELECT title FROM todos', readOnly: true, limits: { timeoutMs: 10_000, maxRows: 10, maxBytes: 1 << 20 } });
      check(read.rows.length === 1, 'the query to read the row');
      await engine.usageMetrics?.(url);
      const quota = await engine.databaseQuota?.();
      const { databases } = await engine.inventory(open.regions.all);
      check(databases.includes(url), 'inventory to list it');
      await engine.remove(url);
      check(!(await engine.exists(url)), 'it to be gone after remove');
      return quota ? `plan ${quota.plan}, ${quota.used ?? '?'} of ${quota.limit ?? '?'} databases` : undefined;
    });

    await step('create → write → clone → point-in-time branch → export → import → delete', async () => {
      await open.create('life', { jurisdiction: 'eu' });
      await addTodo(open, 'life', 'before');
      await open.clone('life', 'life-copy');
      check((await titles(open, 'life-copy')).join() === 'before', 'the clone to hold the write');
      await new Promise((resolve) => setTimeout(resolve, pitrWaitMs));
      const at = new Date();
      await new Promise((resolve) => setTimeout(resolve, Math.min(pitrWaitMs, 2_000)));
      await addTodo(open, 'life', 'after');
      await open.clone('life', 'life-then', { at });
      check((await titles(open, 'life-then')).join() === 'before', 'the point-in-time branch to hold the state at its timestamp');
      const file = path.join(scratch, 'life.db');
      await open.exportTo('life', file);
      await open.importFile('life-imported', file, { jurisdiction: 'eu' });
      check((await titles(open, 'life-imported')).join() === 'before,after', 'the import to hold the export');
      for (const name of ['life', 'life-copy', 'life-then', 'life-imported']) {
        await open.delete(name);
        await open.purge(name);
      }
      return `point in time ${at.toISOString()}`;
    });
    await open.close();
  }

  await step('silo move of 3 instances from local files', async () => {
    const moveDir = path.join(scratch, 'move');
    const local = await openFleet({ schema: todoSchema, dataDir: moveDir });
    for (const name of ['mv-a', 'mv-b', 'mv-c']) {
      await local.create(name, { jurisdiction: 'eu' });
      await addTodo(local, name, name);
    }
    await local.close();
    const moving = await turso(moveDir);
    try {
      const report = await moving.moveInstances({ to: 'turso', onWarning: (message) => console.log(`  warn  ${message}`) });
      check(report.moved === 3 && report.failed === 0, `3 moved (got ${report.moved} moved, ${report.failed} failed: ${report.results.map((r) => r.reason ?? '').join('; ')})`);
      for (const name of ['mv-a', 'mv-b', 'mv-c']) {
        check(moving.require(name)?.engine === 'turso', `${name} on turso`);
        check((await titles(moving, name)).join() === name, `${name} to keep its row`);
      }
      return `${report.moved} moved in ${Math.round(report.durationMs)} ms`;
    } finally {
      await moving.close();
    }
  });

  await step('catalog on an embedded replica', async () => {
    const name = `${prefix}catalog`;
    const group = Object.values(groups)[0] as string;
    const created = await platform.createDatabase(name, group);
    const { jwt } = await api.request<{ jwt: string }>(`mint a token for database "${name}"`, {
      method: 'POST',
      path: `organizations/${encodeURIComponent(org)}/databases/${encodeURIComponent(name)}/auth/tokens`,
      query: { authorization: 'full-access', expiration: '1d' },
    });
    scrubber.add(jwt);
    const url = `${tls ? 'libsql' : 'http'}://${created.hostname}`;
    const catalog = { url, authToken: jwt, syncIntervalSec: 1 };
    // A new database may answer 404 for a while: retry the first open.
    let fleet: Fleet | undefined;
    for (let attempt = 1; !fleet; attempt++) {
      try {
        fleet = await turso(path.join(scratch, 'catalog'), { catalog });
      } catch (error) {
        if (attempt >= 20) throw error;
        await new Promise((resolve) => setTimeout(resolve, 1_000));
      }
    }
    try {
      await fleet.create('cat-a', { jurisdiction: 'eu' });
      check(fleet.require('cat-a')?.state === 'ready', 'the instance to be ready in the replica');
    } finally {
      await fleet.close();
    }
    return url.replace(/\/\/.*?\./, '//…');
  });
} finally {
  const removed = await cleanUp().catch((error: unknown) => {
    failed.push(`clean-up: ${scrubber.scrub(error instanceof Error ? error.message : String(error))}`);
    return [] as string[];
  });
  rmSync(scratch, { recursive: true, force: true });
  console.log(`\nturso smoke: ${verified.length} verified, ${failed.length} failed; cleaned up ${removed.length} database(s) with prefix "${prefix}".`);
  for (const line of verified) console.log(`  verified: ${line}`);
  for (const line of failed) console.log(`  FAILED:   ${line}`);
  process.exitCode = failed.length > 0 ? 1 : 0;
}
