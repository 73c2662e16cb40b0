/**
 * The Turso engine against a stand-in that behaves as Turso Cloud does under load and at
 * scale (issue #12): retries that honour Retry-After, idempotent creates, clean-up deletes
 * that are never leaked, the paged database list, one usage call per interval, expiring group
 * tokens, the residency check and the name cap.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { standinHooks } from '@silo/turso-standin';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { isSiloError, openFleet, settingsFromEnv, type Region, type TursoSettingsInput } from '../src/index';
import { TursoEngine, resolveTursoSettings } from '../src/internal';
import { statusOf } from '../src/engines/turso-api';
import { TursoPlatform } from '../src/engines/turso-platform';
import { quotaWarning } from '../src/engines/turso-quota';
import { parseAllowedLocations } from '../src/engines/turso-residency';
import { SecretScrubber } from '../src/engines/turso-secrets';
import { GroupTokens } from '../src/engines/turso-tokens';
import { sampleSchema, tempDir, regionsIn } from './helpers';
import { STANDIN_GROUPS, startStandinProcess, type StandinProcess } from './turso-standin';

let standin: StandinProcess;
let suite: string;
let hooks: ReturnType<typeof standinHooks>;
const PLAN_DATABASES = 40;

beforeAll(async () => {
  suite = mkdtempSync(path.join(tmpdir(), 'silo-turso-platform-'));
  // Pages of 2: any list that does not follow pagination.next misses databases.
  standin = await startStandinProcess(path.join(suite, 'standin'), { notReadyMs: 100, listPageSize: 2, plan: { name: 'starter', databases: PLAN_DATABASES } });
  hooks = standinHooks({ platformUrl: standin.platform.url, apiToken: standin.platform.apiToken });
});

afterEach(async () => {
  await hooks.clearFaults();
});

afterAll(async () => {
  await standin?.stop();
  if (suite) rmSync(suite, { recursive: true, force: true });
});

async function engineWith(extra: Partial<TursoSettingsInput> = {}, warnings: string[] = []): Promise<{ engine: TursoEngine; regions: readonly Region[] }> {
  const regions = regionsIn(tempDir('silo-tp-'));
  const engine = await TursoEngine.open({ settings: resolveTursoSettings({ ...standin.settings, ...extra }), regions, warn: (message) => warnings.push(message) });
  return { engine, regions };
}

function platform(): TursoPlatform {
  return new TursoPlatform({ org: standin.platform.org, apiToken: standin.platform.apiToken, apiUrl: standin.platform.url.replace(/\/v1\/$/, ''), scrubber: new SecretScrubber() });
}

/** Creates a database straight through the API, as another tool (or a lost answer) would. */
async function rawCreate(name: string, group: string = STANDIN_GROUPS.eu): Promise<void> {
  const response = await fetch(new URL(`organizations/${standin.platform.org}/databases`, standin.platform.url), {
    method: 'POST',
    headers: { authorization: `Bearer ${standin.platform.apiToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name, group }),
  });
  if (!response.ok) throw new Error(`create ${name}: ${response.status}`);
}

function codeOf(error: unknown): string {
  return isSiloError(error) ? error.code : String(error);
}

describe('Platform API resilience', () => {
  it('counts an SDK error without a status but saying "Status 404" as 404', () => {
    expect(statusOf(new Error('Something went wrong! Status 404'))).toBe(404);
    expect(statusOf(Object.assign(new Error('x'), { status: 429 }))).toBe(429);
    expect(statusOf(new Error('socket hang up'))).toBeUndefined();
  });

  it('retries a create refused with 429, waiting as Retry-After says', async () => {
    const { engine, regions } = await engineWith({ databasePrefix: 'rl-' });
    try {
      await hooks.injectFault({ method: 'POST', path: `/organizations/${standin.platform.org}/databases`, status: 429, retryAfter: '1' });
      const started = Date.now();
      const url = engine.locate('limited', regions[0] as Region);
      await engine.create(url, sampleSchema());
      expect(Date.now() - started).toBeGreaterThanOrEqual(1_000);
      expect(await engine.exists(url)).toBe(true);
    } finally {
      await engine.close();
    }
  });

  it('retries a create, a delete and a token mint answered 5xx with a body that is not JSON', async () => {
    const { engine, regions } = await engineWith({ databasePrefix: 'fx-' });
    try {
      await hooks.injectFault({ method: 'POST', path: `/organizations/${standin.platform.org}/databases`, status: 503, body: 'html', times: 2 });
      const url = engine.locate('flaky', regions[0] as Region);
      await engine.create(url, sampleSchema());
      await hooks.injectFault({ method: 'DELETE', path: '/databases/fx-flaky', status: 502, body: 'text', times: 2 });
      await engine.remove(url);
      expect(await engine.exists(url)).toBe(false);
      await hooks.injectFault({ method: 'POST', path: '/auth/tokens', status: 500, body: 'empty', times: 2 });
      expect(await platform().mintGroupToken(STANDIN_GROUPS.eu, 'read-only', '1h')).toMatch(/\./);
    } finally {
      await engine.close();
    }
  });

  it('gives up after a bounded number of tries, naming the status', async () => {
    await hooks.injectFault({ method: 'GET', path: '/databases/never-there', status: 503, times: 10 });
    const error = await platform().getDatabase('never-there').catch((caught: unknown) => caught);
    expect(codeOf(error)).toBe('ENGINE_FAILURE');
    expect((error as Error).message).toMatch(/HTTP 503/);
  });

  it('create is idempotent by name: a 409 for the same group is the database; for another group it is an error', async () => {
    await rawCreate('idem-one');
    const found = await platform().createDatabase('idem-one', STANDIN_GROUPS.eu);
    expect(found).toMatchObject({ name: 'idem-one', group: STANDIN_GROUPS.eu });
    const error = await platform().createDatabase('idem-one', STANDIN_GROUPS.us).catch((caught: unknown) => caught);
    expect(codeOf(error)).toBe('ENGINE_FAILURE');
    expect((error as Error).message).toMatch(/already exists in group "silo-eu".*silo doctor/);
  });

  it('records a clean-up delete that failed, warns, and retries it at the next inventory', async () => {
    const warnings: string[] = [];
    const { engine, regions } = await engineWith({ databasePrefix: 'cu-', readyTimeoutMs: 300 }, warnings);
    try {
      // The new database never answers (its SQL endpoint 404s past the ready timeout), and Turso refuses the delete that cleans it up.
      await hooks.injectFault({ path: `/databases/cu-stuck-${standin.platform.org}/`, status: 404, times: 1_000 });
      await hooks.injectFault({ method: 'DELETE', path: '/databases/cu-stuck', status: 503, times: 1_000 });
      const url = engine.locate('stuck', regions[0] as Region);
      expect(codeOf(await engine.create(url, sampleSchema()).catch((caught: unknown) => caught))).toBe('ENGINE_FAILURE');
      expect(warnings.join('\n')).toMatch(/Could not delete Turso database "cu-stuck".*silo reconcile --scan/);
      expect((await engine.inventory(regions)).leftovers).toContain('turso-pending-delete:cu-stuck');
      await hooks.clearFaults();
      const after = await engine.inventory(regions);
      expect(after.leftovers).not.toContain('turso-pending-delete:cu-stuck');
      expect(after.databases).not.toContain(url);
      expect(await platform().getDatabase('cu-stuck')).toBeUndefined();
    } finally {
      await engine.close();
    }
  });

  it('records a remove that failed (callers that ignore it, such as a rolled-back move, leak nothing)', async () => {
    const warnings: string[] = [];
    const { engine, regions } = await engineWith({ databasePrefix: 'rm-' }, warnings);
    try {
      const url = engine.locate('sticky', regions[0] as Region);
      await engine.create(url, sampleSchema());
      await hooks.injectFault({ method: 'DELETE', path: '/databases/rm-sticky', status: 500, times: 1_000 });
      await engine.remove(url).catch(() => undefined);
      expect(warnings.join('\n')).toMatch(/Could not delete Turso database "rm-sticky"/);
      expect((await engine.inventory(regions)).leftovers).toContain('turso-pending-delete:rm-sticky');
      await hooks.clearFaults();
      expect((await engine.inventory(regions)).databases).not.toContain(url);
      expect(await engine.exists(url)).toBe(false);
    } finally {
      await engine.close();
    }
  });
});

describe('scale', () => {
  it('inventory follows the paged list to its end', async () => {
    for (let i = 1; i <= 5; i++) await rawCreate(`pg-${i}`);
    const { engine, regions } = await engineWith({ databasePrefix: 'pg-' });
    try {
      const { databases } = await engine.inventory(regions);
      expect(databases.sort()).toEqual([1, 2, 3, 4, 5].map((i) => `turso:${STANDIN_GROUPS.eu}/pg-${i}`));
    } finally {
      await engine.close();
    }
  });

  it('reads usage with one organization call per interval, not one call per database', async () => {
    for (const name of ['us-a', 'us-b', 'us-c']) await rawCreate(name);
    const { engine } = await engineWith({ databasePrefix: 'us-', usageCacheMs: 60_000 });
    try {
      const count = async (pattern: RegExp): Promise<number> =>
        Object.entries(await hooks.requests())
          .filter(([key]) => pattern.test(key))
          .reduce((total, [, n]) => total + n, 0);
      const orgBefore = await count(/^GET \/v1\/organizations\/[^/]+\/usage$/);
      for (const name of ['us-a', 'us-b', 'us-c']) {
        expect(await engine.usageMetrics(`turso:${STANDIN_GROUPS.eu}/${name}`)).toEqual({ 'turso.rowsRead': expect.any(Number), 'turso.rowsWritten': expect.any(Number) });
      }
      expect((await count(/^GET \/v1\/organizations\/[^/]+\/usage$/)) - orgBefore).toBe(1);
      expect(await count(/\/databases\/us-[abc]\/usage$/)).toBe(0);
    } finally {
      await engine.close();
    }
  });

  it('reads a plan without a database cap (quota null) as no limit, and warns of nothing', async () => {
    const uncapped = await startStandinProcess(path.join(suite, 'uncapped'), { plan: { name: 'scaler', databases: null } });
    const warnings: string[] = [];
    try {
      const engine = await TursoEngine.open({ settings: resolveTursoSettings(uncapped.settings), regions: regionsIn(tempDir('silo-tp-uncapped-')), warn: (message) => warnings.push(message) });
      try {
        const quota = await engine.databaseQuota();
        expect(quota).toMatchObject({ plan: 'scaler', used: expect.any(Number) });
        expect(quota.limit).toBeUndefined();
        expect(quotaWarning(quota, 1_000_000)).toBeUndefined();
      } finally {
        await engine.close();
      }
      expect(warnings.filter((warning) => /allows/.test(warning))).toEqual([]);
    } finally {
      await uncapped.stop();
    }
  });

  it('a create past the plan quota fails with what Turso said, and leaves nothing behind', async () => {
    const capped = await startStandinProcess(path.join(suite, 'capped'), { plan: { name: 'free', databases: 2 } });
    const fleet = await openFleet({ schema: sampleSchema(), dataDir: tempDir('silo-tp-capped-'), engineKind: 'turso', turso: capped.settings, warn: () => undefined });
    try {
      await fleet.create('one', { jurisdiction: 'eu' });
      await fleet.create('two', { jurisdiction: 'us' });
      const refused = await fleet.create('three', { jurisdiction: 'eu' }).catch((caught: unknown) => caught);
      expect(codeOf(refused)).toBe('ENGINE_FAILURE');
      expect((refused as Error).message).toMatch(/HTTP 400.*plan free allows 2 databases/);
      // Kept as a failed create that says why, as any failed create is; nothing was made on Turso.
      expect(fleet.require('three')).toMatchObject({ state: 'failed', error: expect.stringMatching(/plan free allows 2/) });
      expect((await fleet.engine.inventory(fleet.regions.all)).databases).toHaveLength(2);
      // Room again once one goes: the retry takes the failed row over.
      await fleet.delete('one');
      await fleet.purge('one');
      await fleet.create('three', { jurisdiction: 'eu' });
      expect(fleet.require('three').state).toBe('ready');
    } finally {
      await fleet.close();
      await capped.stop();
    }
  });

  it('reads the plan quota; a bulk operation past it is warned about, as is a start-up near it', async () => {
    const { engine } = await engineWith({ databasePrefix: 'qt-' });
    let used: number;
    try {
      const quota = await engine.databaseQuota();
      expect(quota).toMatchObject({ plan: 'starter', limit: PLAN_DATABASES, used: expect.any(Number) });
      used = quota.used ?? 0;
      expect(quotaWarning(quota, PLAN_DATABASES + 1)).toMatch(/would create 41 Turso databases.*allows 40.*clones and point-in-time branches count/);
      expect(quotaWarning(quota, 1)).toBeUndefined();
    } finally {
      await engine.close();
    }
    for (let i = used; i < PLAN_DATABASES * 0.9; i++) await rawCreate(`qt-${i}`);
    const warnings: string[] = [];
    const near = await engineWith({ databasePrefix: 'qt-' }, warnings);
    await near.engine.close();
    expect(warnings.join('\n')).toMatch(/plan "starter" allows 40 databases/);

    // `silo move` reads the quota before it moves anything, and says so when the move would not fit.
    const dataDir = tempDir('silo-tp-move-');
    const local = await openFleet({ schema: sampleSchema(), dataDir });
    for (const name of ['qma', 'qmb', 'qmc', 'qmd', 'qme']) await local.create(name, { jurisdiction: 'eu' });
    await local.close();
    const fleet = await openFleet({ schema: sampleSchema(), dataDir, engineKind: 'turso', turso: { ...standin.settings, databasePrefix: 'qm-' }, warn: () => undefined });
    try {
      const told: string[] = [];
      const report = await fleet.moveInstances({ to: 'turso', dryRun: true, onWarning: (message) => told.push(message) });
      expect(told).toHaveLength(1);
      expect(told[0]).toMatch(/would create 5 Turso databases, but organization plan "starter" allows 40/);
      expect(report.quotaWarning).toBe(told[0]);
    } finally {
      await fleet.close();
    }
  });
});

describe('group tokens', () => {
  const exp = (jwt: string): number => {
    const payload = JSON.parse(Buffer.from(jwt.split('.')[1] as string, 'base64url').toString('utf8')) as { exp?: number; iat: number };
    return (payload.exp ?? Number.POSITIVE_INFINITY) - payload.iat;
  };

  it('are minted with an expiration (a day by default), never as never-expiring', async () => {
    const tokens = new GroupTokens(platform(), {}, resolveTursoSettings(standin.settings).tokenExpiration);
    try {
      await tokens.start([STANDIN_GROUPS.eu]);
      expect(exp(tokens.get(STANDIN_GROUPS.eu, 'full'))).toBe(86_400);
      expect(exp(tokens.get(STANDIN_GROUPS.eu, 'read'))).toBe(86_400);
    } finally {
      tokens.close();
    }
    expect(() => resolveTursoSettings({ ...standin.settings, tokenExpiration: 'never' })).toThrow(/tokenExpiration: a duration/);
    expect(settingsFromEnv({ SILO_TURSO_TOKEN_EXPIRATION: '12h', SILO_TURSO_ORG: 'o', SILO_TURSO_API_TOKEN: 't', SILO_TURSO_GROUPS: 'eu=g', SILO_ENGINE: 'turso' }).turso).toMatchObject({ tokenExpiration: '12h' });
  });

  it('are renewed before they expire', async () => {
    const tokens = new GroupTokens(platform(), {}, '3s');
    try {
      await tokens.start([STANDIN_GROUPS.eu]);
      const first = tokens.get(STANDIN_GROUPS.eu, 'full');
      const firstExpiry = tokens.expiresAt(STANDIN_GROUPS.eu, 'full') ?? 0;
      // Renewed a second before its end (20% of its life, at least 1 s), before Turso would refuse
      // it at 3 s. The mint is a round trip to the stand-in, slow on a busy machine: it is waited
      // for, and when it began (the new expiry less the lifetime) is what is checked.
      await expect.poll(() => tokens.expiresAt(STANDIN_GROUPS.eu, 'full'), { timeout: 30_000, interval: 50 }).toBeGreaterThan(firstExpiry);
      expect(tokens.get(STANDIN_GROUPS.eu, 'full')).not.toBe(first);
      expect((tokens.expiresAt(STANDIN_GROUPS.eu, 'full') ?? Infinity) - 3_000).toBeLessThan(firstExpiry);
    } finally {
      tokens.close();
    }
  });
});

describe('residency and names', () => {
  it('stops start-up when a group keeps data outside its jurisdiction, naming both', async () => {
    const error = await engineWith({ locations: { eu: ['aws-us-*'] } }).catch((caught: unknown) => caught);
    expect(codeOf(error)).toBe('CONFIG_INVALID');
    expect((error as Error).message).toMatch(/group "silo-eu" serves jurisdiction "eu" but keeps data in "aws-eu-west-1".*allowed for "eu" \(aws-us-\*\)/);
    const ok = await engineWith({ locations: { eu: ['aws-eu-west-1', 'fra'], us: ['aws-us-east-1'] } });
    await ok.engine.close();
    expect(parseAllowedLocations('eu=aws-eu-west-1|fra,us=aws-us-*')).toEqual({ eu: ['aws-eu-west-1', 'fra'], us: ['aws-us-*'] });
    const fromEnv = settingsFromEnv({ SILO_ENGINE: 'turso', SILO_TURSO_ORG: 'o', SILO_TURSO_API_TOKEN: 't', SILO_TURSO_GROUPS: 'eu=g', SILO_TURSO_LOCATIONS: 'eu=aws-eu-west-1|fra' });
    expect(fromEnv.turso).toMatchObject({ locations: { eu: ['aws-eu-west-1', 'fra'] } });
    expect(() => parseAllowedLocations('eu:aws-eu-west-1')).toThrow(/SILO_TURSO_LOCATIONS: entry 1 should look like/);
  });

  it('keeps <database>-<org> a DNS label: long names are shortened, a name past the cap is refused at create', async () => {
    const { engine, regions } = await engineWith({ databasePrefix: 'nm-' });
    try {
      const max = 63 - 1 - standin.platform.org.length;
      const url = engine.locate('a'.repeat(70), regions[0] as Region);
      expect(url.split('/')[1]?.length).toBeLessThanOrEqual(max);
      const tooLong = `turso:${STANDIN_GROUPS.eu}/nm-${'b'.repeat(max)}`;
      const error = await engine.create(tooLong, sampleSchema()).catch((caught: unknown) => caught);
      expect(codeOf(error)).toBe('INVALID_INPUT');
      expect((error as Error).message).toMatch(/at most \d+ fit in a hostname/);
    } finally {
      await engine.close();
    }
    expect(() => resolveTursoSettings({ ...standin.settings, org: 'a'.repeat(40), databasePrefix: 'long-prefix-' })).toThrow(/leaves fewer than 16 characters/);
  });
});
