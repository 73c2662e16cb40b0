import path from 'node:path';
import type { TursoStandin } from '@silo/turso-standin';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { json, silo, tempDir } from './helpers';
import { localTodoFleet, startStandin, todoTitles, tursoEnv, tursoTodoFleet } from './move-fixtures';

/**
 * The "done when": `silo move` transfers a 1,000-instance fleet from local files to
 * Turso (the stand-in on loopback), and every instance still serves its todos. A file of its
 * own because it takes a while; the times are printed.
 */
const COUNT = Number(process.env['SILO_MOVE_SCALE_COUNT'] ?? 1_000);
const CONCURRENCY = 16;
let standin: TursoStandin;
const folder = tempDir('silo-cli-move-scale-');

beforeAll(async () => {
  standin = await startStandin(folder.dir);
});

afterAll(async () => {
  await standin?.close();
  folder.cleanup();
});

it(`silo move transfers ${COUNT} instances to Turso and each still serves its todos`, { timeout: 900_000 }, async () => {
  const dataDir = path.join(folder.dir, 'fleet');
  const setupStarted = performance.now();
  const names = await localTodoFleet(dataDir, COUNT);
  const setupMs = performance.now() - setupStarted;

  const started = performance.now();
  const moved = await silo(folder.dir, ['--data-dir', dataDir, 'move', '--to', 'turso', '--concurrency', String(CONCURRENCY), '--json'], {
    env: tursoEnv(standin, 'scale-'),
  });
  const moveMs = performance.now() - started;
  expect(moved.code, moved.stderr).toBe(0);
  const report = json<{ moved: number; failed: number; results: { status: string }[] }>(moved);
  expect(report.results.filter((result) => result.status !== 'moved')).toEqual([]);
  expect(report.moved).toBe(COUNT);
  console.log(
    `silo move: ${COUNT} instances in ${(moveMs / 1000).toFixed(1)} s at concurrency ${CONCURRENCY} ` +
      `(${(moveMs / COUNT).toFixed(1)} ms each); building the local fleet took ${(setupMs / 1000).toFixed(1)} s`,
  );

  const fleet = await tursoTodoFleet(dataDir, standin, 'scale-');
  try {
    const checkStarted = performance.now();
    for (let offset = 0; offset < COUNT; offset += 50) {
      await Promise.all(
        names.slice(offset, offset + 50).map(async (name) => {
          expect(fleet.require(name).engine, name).toBe('turso');
          expect(await todoTitles(fleet, name), name).toEqual([`${name} todo 1`, `${name} todo 2`]);
        }),
      );
    }
    console.log(`every instance served its todos from Turso (checked in ${((performance.now() - checkStarted) / 1000).toFixed(1)} s)`);
  } finally {
    await fleet.close();
  }
});
