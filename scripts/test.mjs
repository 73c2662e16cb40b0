#!/usr/bin/env node
// The whole test suite in one command: lint, typecheck and every Vitest suite. It ends with
// a plain "N passed, N failed" line counted from the real results (lint and typecheck count
// as one check each), and exits non-zero when anything failed.
//
// `--fast` (npm run test:fast) is the fast tier: the package suites listed below (about a
// minute together), without lint, typecheck or the apps. Further arguments are more test
// files for Vitest (CI's Node 22 pass adds the TODO app's browser smoke).
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';

const results = '.vitest-results.json';
let passed = 0;
let failed = 0;

/**
 * The fast tier: unit and integration tests of packages/* that take seconds each (measured on
 * Node 24 here: each under 10 s, about 55 s of work, ~35 s on two workers). The slow ones
 * (crash and scale suites, most CLI end-to-end runs) stay in the full suite.
 */
const FAST = [
  'packages/fleet/test/names.test.ts',
  'packages/fleet/test/handles.test.ts',
  'packages/fleet/test/import-schema.test.ts',
  'packages/fleet/test/fleet.test.ts',
  'packages/fleet/test/reconcile.test.ts',
  'packages/fleet/test/backup.test.ts',
  'packages/fleet/test/backup-s3.test.ts',
  'packages/fleet/test/backup-races.test.ts',
  'packages/fleet/test/backup-concurrency.test.ts',
  'packages/fleet/test/admin-directory.test.ts',
  'packages/fleet/test/query-guard.test.ts',
  'packages/fleet/test/engine-contract.test.ts',
  'packages/fleet/test/catalog-replica.test.ts',
  'packages/web/test/web.test.ts',
  'packages/web/test/hardening.test.ts',
  'packages/web/test/request-listener.test.ts',
  'packages/turso-standin/test/turso-standin.test.ts',
  'packages/turso-standin/test/replica-sync.test.ts',
  'packages/cli/test/format.test.ts',
  'packages/cli/test/cli-migrate.test.ts',
];
const fast = process.argv[2] === '--fast';
const args = fast ? [...FAST, ...process.argv.slice(3)] : process.argv.slice(2);

/** @param {string} name @param {string} command @param {string[]} args */
function step(name, command, args) {
  console.log(`\n── ${name}: ${command} ${args.join(' ')}`);
  const { status } = spawnSync(command, args, { stdio: 'inherit' });
  return status === 0;
}

for (const script of fast ? [] : ['lint', 'typecheck']) {
  if (step(script, 'npm', ['run', '--silent', script])) passed++;
  else failed++;
}

/**
 * One Vitest run, its passed and failed tests added to the totals.
 * @param {string} name @param {string[]} args @param {NodeJS.ProcessEnv} [env]
 */
function vitest(name, args, env = process.env) {
  rmSync(results, { force: true });
  console.log(`\n── ${name}: npx vitest run ${args.join(' ')}`);
  const { status } = spawnSync('npx', ['vitest', 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${results}`, ...args], { stdio: 'inherit', env });
  const ok = status === 0;
  if (existsSync(results)) {
    /** @type {{ numPassedTests: number, numFailedTests: number, testResults: { status: string, assertionResults: { status: string }[] }[] }} */
    const report = JSON.parse(readFileSync(results, 'utf8'));
    passed += report.numPassedTests;
    failed += report.numFailedTests;
    // A suite that crashed before its tests ran has no failed tests to count.
    failed += report.testResults.filter((suite) => suite.status === 'failed' && suite.assertionResults.every((a) => a.status !== 'failed')).length;
    rmSync(results, { force: true });
  } else if (!ok) {
    failed++;
  }
  return ok;
}

// The fast tier alone serves no app: skip the TODO app's build (apps/todos/test/global-setup.ts).
const onlyPackages = fast && process.argv.length <= 3;
// The fast tier runs the engine contract on local files only: on Turso and routing every case starts a stand-in.
const fastEnv = { ...process.env, SILO_CONTRACT_ENGINES: 'local', ...(onlyPackages ? { SILO_TEST_NO_APP_BUILD: '1' } : {}) };
let vitestOk = vitest(fast ? 'fast tier' : 'tests', args, fast ? fastEnv : process.env);
// The TODO app's suites a second time with tenants on Turso (the stand-in), when the whole suite runs.
if (args.length === 0) {
  vitestOk = vitest('TODO app on Turso', ['apps/todos/test'], { ...process.env, SILO_TEST_ENGINE: 'turso' }) && vitestOk;
}
if (!vitestOk && failed === 0) failed++;

console.log(`\n${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
