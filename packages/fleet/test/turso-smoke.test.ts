/**
 * `npm run turso:smoke` (scripts/turso-smoke.ts) proven against the stand-in, so the script
 * that runs against a real organization is known to work and to clean up after itself.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { standinHooks } from '@silo/turso-standin';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStandinProcess, type StandinProcess } from './turso-standin';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const run = promisify(execFile);

let standin: StandinProcess;
let suite: string;

beforeAll(async () => {
  suite = mkdtempSync(path.join(tmpdir(), 'silo-turso-smoke-test-'));
  // Pages of 2, so the script's clean-up must follow the paged list.
  standin = await startStandinProcess(path.join(suite, 'standin'), { notReadyMs: 200, listPageSize: 2 });
});

afterAll(async () => {
  await standin?.stop();
  if (suite) rmSync(suite, { recursive: true, force: true });
});

function smoke(env: Record<string, string>): Promise<{ stdout: string; code: number }> {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('TURSO_') && !key.startsWith('SILO_'))) as Record<string, string>;
  return run(process.execPath, ['--conditions=@silo/source', '--import', 'tsx', 'scripts/turso-smoke.ts'], { cwd: ROOT, env: { ...clean, ...env }, timeout: 240_000 }).then(
    ({ stdout }) => ({ stdout, code: 0 }),
    (error: { stdout?: string; code?: number }) => ({ stdout: error.stdout ?? '', code: error.code ?? 1 }),
  );
}

describe('npm run turso:smoke', () => {
  it('skips, and exits 0, without credentials', async () => {
    const { stdout, code } = await smoke({});
    expect(code).toBe(0);
    expect(stdout).toMatch(/turso smoke: skipped/);
  });

  it('verifies every step against the stand-in and leaves no database behind', async () => {
    const { stdout, code } = await smoke({
      TURSO_API_TOKEN: standin.platform.apiToken,
      TURSO_ORG: standin.platform.org,
      TURSO_API_URL: standin.platform.url,
      TURSO_TLS: '0',
      TURSO_SMOKE_PITR_WAIT_MS: '1500',
    });
    expect(stdout, stdout).toMatch(/turso smoke: 5 verified, 0 failed/);
    expect(code).toBe(0);
    expect(stdout).toMatch(/verified: silo move of 3 instances/);
    expect(stdout).toMatch(/verified: catalog on an embedded replica/);
    // Nothing with the run's prefix is left in the organization.
    const response = await fetch(new URL(`organizations/${standin.platform.org}/databases?limit=1000`, standin.platform.url), {
      headers: { authorization: `Bearer ${standin.platform.apiToken}` },
    });
    const { databases } = (await response.json()) as { databases: { Name: string }[] };
    expect(databases.filter((db) => db.Name.startsWith('smk'))).toEqual([]);
  }, 300_000);

  it('cleans up what it created when a step fails', async () => {
    // The first create is refused (400 is not retried): that step fails, the others run, and the clean-up still removes all.
    await standinHooks({ platformUrl: standin.platform.url, apiToken: standin.platform.apiToken }).injectFault({
      method: 'POST',
      path: `/organizations/${standin.platform.org}/databases`,
      status: 400,
      times: 1,
    });
    const { stdout, code } = await smoke({
      TURSO_API_TOKEN: standin.platform.apiToken,
      TURSO_ORG: standin.platform.org,
      TURSO_API_URL: standin.platform.url,
      TURSO_TLS: '0',
      TURSO_SMOKE_PITR_WAIT_MS: '1500',
    });
    expect(code).toBe(1);
    expect(stdout).toMatch(/FAILED: /);
    const response = await fetch(new URL(`organizations/${standin.platform.org}/databases?limit=1000`, standin.platform.url), {
      headers: { authorization: `Bearer ${standin.platform.apiToken}` },
    });
    const { databases } = (await response.json()) as { databases: { Name: string }[] };
    expect(databases.filter((db) => db.Name.startsWith('smk'))).toEqual([]);
  }, 300_000);
});
