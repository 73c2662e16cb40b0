#!/usr/bin/env node
// The whole test suite in one command: lint, typecheck and every Vitest suite. It ends with
// a plain "N passed, N failed" line counted from the real results (lint and typecheck count
// as one check each), and exits non-zero when anything failed.
//
// `--fast` (npm run test:fast) is the fast tier: Vitest's `unit` project (vitest.config.ts),
// without lint, typecheck or the apps. Files after `--fast` run in a second Vitest pass with
// their own projects (CI's Node 22 pass adds the TODO app's browser smoke). Other arguments
// go to one Vitest run instead of the whole suite.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';

const results = '.vitest-results.json';
let passed = 0;
let failed = 0;
/** What failed, by name, repeated just above the last line: CI shows only a log's tail. */
const failures = [];

const fast = process.argv[2] === '--fast';
const extra = process.argv.slice(fast ? 3 : 2);

/** @param {string} name @param {string} command @param {string[]} args */
function step(name, command, args) {
  console.log(`\n── ${name}: ${command} ${args.join(' ')}`);
  const { status } = spawnSync(command, args, { stdio: 'inherit' });
  return status === 0;
}

for (const script of fast ? [] : ['lint', 'typecheck']) {
  if (step(script, 'npm', ['run', '--silent', script])) passed++;
  else {
    failed++;
    failures.push(`npm run ${script}`);
  }
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
    /** @type {{ numPassedTests: number, numFailedTests: number, testResults: { name: string, status: string, message?: string, assertionResults: { status: string, fullName: string }[] }[] }} */
    const report = JSON.parse(readFileSync(results, 'utf8'));
    passed += report.numPassedTests;
    failed += report.numFailedTests;
    for (const suite of report.testResults) {
      const file = suite.name.replace(`${process.cwd()}/`, '');
      const failedTests = suite.assertionResults.filter((a) => a.status === 'failed');
      for (const test of failedTests) failures.push(`${name}: ${file} > ${test.fullName}`);
      // A suite that crashed before its tests ran has no failed tests to count.
      if (suite.status === 'failed' && failedTests.length === 0) {
        failed++;
        failures.push(`${name}: ${file} (${(suite.message ?? 'the suite failed').split('\n')[0]})`);
      }
    }
    rmSync(results, { force: true });
  } else if (!ok) {
    failed++;
    failures.push(`${name}: vitest exited ${status} without a report`);
  }
  return ok;
}

let vitestOk;
if (fast) {
  // Vitest's default is one worker per core but one (so one here, on 2 cores); these suites
  // wait on child processes and files as much as on the CPU, and two workers halved the
  // tier's time on this machine (100 s to 52 s with other test runs sharing it).
  // The engine contract runs on local files only here: on Turso and routing every case starts a stand-in.
  // Without isolation each worker loads the sources once, not once per file: starting a file's
  // worker and importing the fleet took ~0.9 s of each of 70 files (113 s → 56 s for the tier on
  // this machine). The whole suite keeps isolation; these files pass in any order (checked with
  // --sequence.shuffle.files).
  vitestOk = vitest('fast tier', ['--project', 'unit', '--maxWorkers=2', '--no-isolate'], { ...process.env, SILO_CONTRACT_ENGINES: 'local' });
  if (extra.length > 0) vitestOk = vitest('more tests', extra) && vitestOk;
} else {
  vitestOk = vitest('tests', extra);
  // The TODO app's suites a second time with tenants on Turso (the stand-in), when the whole suite runs.
  if (extra.length === 0) vitestOk = vitest('TODO app on Turso', ['apps/todos/test'], { ...process.env, SILO_TEST_ENGINE: 'turso' }) && vitestOk;
}
if (!vitestOk && failed === 0) {
  failed++;
  failures.push('vitest exited non-zero with every test passed');
}

if (failures.length > 0) console.log(`\n${failures.map((f) => `FAILED: ${f}`).join('\n')}`);
console.log(`\n${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
