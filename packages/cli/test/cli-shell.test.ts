/**
 * `silo shell` on a real terminal (util-linux `script`): Ctrl+C while a statement runs stops
 * it and gives the prompt back, as sqlite3 does. The time limit is two minutes and each session
 * gives up far sooner, so only an interruption can end the statements these tests start.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HAS_SCRIPT, json, silo, tempDir, terminalSession, type TerminalStep } from './helpers';

/** Far beyond the tests' own limits: a statement that ends did so because Ctrl+C stopped it. */
const TIME_LIMIT_MS = 120_000;
/** How long a session may take before it is ended and the test fails with what it showed (generous: a loaded machine starts `silo` slowly). */
const GIVE_UP_MS = 40_000;
/** Each test: a session, and `silo query` runs to count rows. */
const TEST_TIMEOUT_MS = 90_000;

/** Counts to infinity: it ends only at the time limit, or when stopped. */
const ENDLESS_READ = 'WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) AS n FROM c;';
/** Inserts a row every 100,000 steps of an endless count: a write that runs until stopped, rows pending all along. */
const ENDLESS_WRITE =
  "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) INSERT INTO todos (title, completed, created_at, updated_at) SELECT 'bulk ' || x, 0, 1, 1 FROM c WHERE x % 100000 = 0;";

/** `silo <args>` on a terminal; a session still going after GIVE_UP_MS fails the test with its output instead of waiting out the time limit. */
function session(dir: string, args: readonly string[], steps: readonly TerminalStep[], env: Record<string, string> = {}): ReturnType<typeof terminalSession> {
  return terminalSession(dir, args, steps, { env: { SILO_QUERY_TIMEOUT_MS: String(TIME_LIMIT_MS), SILO_HISTORY: `${dir}/history`, ...env }, giveUpMs: GIVE_UP_MS });
}

/** A session that ended with Ctrl+D after a statement stopped by Ctrl+C and a `SELECT 41 + 1` answered. */
function expectStoppedThenAnswered(run: { gaveUp: boolean; code: number | null; output: string }): void {
  expect(run.gaveUp, run.output).toBe(false);
  expect(run.code, run.output).toBe(0);
  expect(run.output).toMatch(/Interrupted: the statement was stopped\./);
  expect(run.output).toMatch(/│ +42 │/);
}

describe.skipIf(!HAS_SCRIPT)('silo shell on a terminal: Ctrl+C during a statement', () => {
  let dir: string;
  let cleanup: () => void;
  const count = async (name: string, where = '1'): Promise<number> => {
    const result = await silo(dir, ['query', name, `SELECT count(*) AS n FROM todos WHERE ${where}`, '--json']);
    return json<{ rows: { n: number }[] }>(result).rows[0]?.n ?? -1;
  };

  beforeAll(async () => {
    ({ dir, cleanup } = tempDir('silo-cli-shell-'));
    expect((await silo(dir, ['demo', '--json'])).code).toBe(0);
  });

  afterAll(() => cleanup());

  it('stops a running read and gives the prompt back; the next statement runs, and Ctrl+C at the prompt still drops a typed one', { timeout: TEST_TIMEOUT_MS }, async () => {
    const run = await session(dir, ['shell', 'acme'], [
      { waitFor: 'acme> ', keys: `${ENDLESS_READ}\r` },
      { waitFor: 'FROM c;', keys: '\u0003', afterMs: 300 },
      { waitFor: 'Interrupted', keys: '' },
      // A fresh prompt, where Ctrl+C drops a statement being typed, as before.
      { waitFor: 'acme> ', keys: 'SELECT\r' },
      { waitFor: '...> ', keys: "'never run'\u0003" },
      { waitFor: 'acme> ', keys: 'SELECT 41 + 1 AS answer;\r' },
      { waitFor: '1 row', keys: '' },
      { waitFor: 'acme> ', keys: '\u0004' },
    ]);
    expectStoppedThenAnswered(run);
    expect(run.output).not.toContain('never run │');
    expect(run.output).not.toContain('QUERY_TIMEOUT');
    expect(run.output).not.toContain('ENGINE_FAILURE');
  });

  it('on a dumb terminal (TERM=dumb) too: stops a running read, and Ctrl+C at the prompt drops the statement typed', { timeout: TEST_TIMEOUT_MS }, async () => {
    const run = await session(
      dir,
      ['shell', 'acme'],
      [
        { waitFor: 'acme> ', keys: `${ENDLESS_READ}\r` },
        { waitFor: 'FROM c;', keys: '\u0003', afterMs: 300 },
        { waitFor: 'Interrupted', keys: '' },
        // Readline ignores the editing keys there: the dropped text must not lead the next line.
        { waitFor: 'acme> ', keys: "SELECT 'never run' AS dropped\u0003" },
        { waitFor: 'acme> ', keys: 'SELECT 41 + 1 AS answer;\r' },
        { waitFor: '1 row', keys: '' },
        { waitFor: 'acme> ', keys: '\u0004' },
      ],
      { TERM: 'dumb' },
    );
    expectStoppedThenAnswered(run);
    expect(run.output).not.toContain('dropped │');
    expect(run.output).not.toContain('[QUERY_FAILED]');
  });

  it('stops a running read on a SIGINT sent to the shell alone (kill -INT), as on Ctrl+C', { timeout: TEST_TIMEOUT_MS }, async () => {
    const run = await session(dir, ['shell', 'acme'], [
      { waitFor: 'acme> ', keys: `${ENDLESS_READ}\r` },
      { waitFor: 'FROM c;', keys: '', signal: 'SIGINT', afterMs: 300 },
      { waitFor: 'Interrupted', keys: '' },
      { waitFor: 'acme> ', keys: 'SELECT 41 + 1 AS answer;\r' },
      { waitFor: '1 row', keys: '' },
      { waitFor: 'acme> ', keys: '\u0004' },
    ]);
    expectStoppedThenAnswered(run);
  });

  it('stops a .read file at the running statement: the statements after it do not run', { timeout: TEST_TIMEOUT_MS }, async () => {
    const file = path.join(dir, 'slow.sql');
    writeFileSync(file, `SELECT 'first ran' AS note;\n${ENDLESS_READ}\nSELECT 'never reached' AS note;\n`, { mode: 0o600 });
    const run = await session(dir, ['shell', 'acme'], [
      { waitFor: 'acme> ', keys: `.read ${file}\r` },
      { waitFor: 'first ran', keys: '\u0003', afterMs: 300 },
      { waitFor: 'Interrupted', keys: '' },
      { waitFor: 'acme> ', keys: '\u0004' },
    ]);
    expect(run.gaveUp, run.output).toBe(false);
    expect(run.code, run.output).toBe(0);
    expect(run.output).toContain('Interrupted: the statement was stopped; the statement after it did not run.');
    expect(run.output).not.toContain('never reached');
  });

  it('with --write, a stopped INSERT … SELECT leaves the table as it was, and the next write is applied', { timeout: TEST_TIMEOUT_MS }, async () => {
    const before = await count('globex');
    expect(before).toBeGreaterThan(0);
    const run = await session(dir, ['shell', 'globex', '--write'], [
      { waitFor: 'globex> ', keys: `${ENDLESS_WRITE}\r` },
      { waitFor: 'WHERE x % 100000 = 0;', keys: '\u0003', afterMs: 500 },
      { waitFor: 'Interrupted', keys: '' },
      { waitFor: 'globex> ', keys: "INSERT INTO todos (title, completed, created_at, updated_at) VALUES ('after the stop', 0, 1, 1);\r" },
      { waitFor: '1 row affected', keys: '' },
      { waitFor: 'globex> ', keys: '\u0004' },
    ]);
    expect(run.gaveUp, run.output).toBe(false);
    expect(run.code, run.output).toBe(0);
    expect(run.output).toMatch(/Interrupted: the statement was stopped before it finished, so it changed nothing\./);
    expect(await count('globex', "title LIKE 'bulk %'")).toBe(0);
    expect(await count('globex')).toBe(before + 1);
  });
});
