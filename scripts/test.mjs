#!/usr/bin/env node
// The whole test suite in one command: lint, typecheck and every Vitest suite. It ends with
// a plain "N passed, N failed" line counted from the real results (lint and typecheck count
// as one check each), and exits non-zero when anything failed.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';

const results = '.vitest-results.json';
let passed = 0;
let failed = 0;

/** @param {string} name @param {string} command @param {string[]} args */
function step(name, command, args) {
  console.log(`\n── ${name}: ${command} ${args.join(' ')}`);
  const { status } = spawnSync(command, args, { stdio: 'inherit' });
  return status === 0;
}

for (const script of ['lint', 'typecheck']) {
  if (step(script, 'npm', ['run', '--silent', script])) passed++;
  else failed++;
}

rmSync(results, { force: true });
const vitestOk = step('tests', 'npx', ['vitest', 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${results}`, ...process.argv.slice(2)]);
if (existsSync(results)) {
  /** @type {{ numPassedTests: number, numFailedTests: number, testResults: { status: string, assertionResults: { status: string }[] }[] }} */
  const report = JSON.parse(readFileSync(results, 'utf8'));
  passed += report.numPassedTests;
  failed += report.numFailedTests;
  // A suite that crashed before its tests ran has no failed tests to count.
  failed += report.testResults.filter((suite) => suite.status === 'failed' && suite.assertionResults.every((a) => a.status !== 'failed')).length;
} else if (!vitestOk) {
  failed++;
}
if (!vitestOk && failed === 0) failed++;

console.log(`\n${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
