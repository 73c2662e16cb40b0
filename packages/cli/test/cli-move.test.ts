import path from 'node:path';
import type { TursoStandin } from '@silo/turso-standin';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json, silo, tempDir } from './helpers';
import { localTodoFleet, startStandin, todoTitles, tursoEnv, tursoTodoFleet } from './move-fixtures';

/** `silo move --to turso` end to end: the real command, a local fleet, the Turso stand-in on loopback. */
let standin: TursoStandin;
const folder = tempDir('silo-cli-move-');

beforeAll(async () => {
  standin = await startStandin(folder.dir);
});

afterAll(async () => {
  await standin?.close();
  folder.cleanup();
});

describe('silo move', () => {
  it('moves a local fleet to Turso with a summary, exits 1 on failures, and resumes', async () => {
    const dataDir = path.join(folder.dir, 'fleet');
    const names = await localTodoFleet(dataDir, 3);
    const env = tursoEnv(standin, 'cli-');
    const run = (args: string[], extra: Record<string, string> = env) => silo(folder.dir, ['--data-dir', dataDir, ...args], { env: extra });

    const unconfigured = await run(['move', '--to', 'turso'], {});
    expect(unconfigured.code).toBe(1);
    expect(unconfigured.stderr).toMatch(/needs SILO_ENGINE=turso/);
    expect((await run(['move', '--to', 'postgres'])).code).toBe(2);

    const dry = await run(['move', '--to', 'turso', '--dry-run']);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toMatch(/Dry run: 3 instances would move to turso/);

    const partial = await run(['move', '--to', 'turso', '--only', 'tenant-0001', 'nobody']);
    expect(partial.code).toBe(1);
    expect(partial.stdout).toMatch(/Moved 1 instance to turso, 0 skipped, 1 failed/);
    expect(partial.stdout).toMatch(/nobody\s*│ failed\s*│ No instance named "nobody"/);
    expect(partial.stderr).toMatch(/run `silo move` again/);

    const rest = await run(['move', '--to', 'turso', '--concurrency', '2', '--json']);
    expect(rest.code, rest.stderr).toBe(0);
    expect(json<{ moved: number; failed: number; alreadyMoved: number }>(rest)).toMatchObject({ moved: 2, failed: 0, alreadyMoved: 1 });
    const done = await run(['move', '--to', 'turso']);
    expect(done.stdout).toMatch(/No instance is left on local files; 3 already on turso; nothing to move/);
    const listed = json<{ items: { name: string; engine: string }[] }>(await run(['instances', 'list', '--json']));
    expect(listed.items.map((item) => item.engine)).toEqual(['turso', 'turso', 'turso']);
    expect(`${partial.stdout}${partial.stderr}${rest.stdout}`).not.toContain(standin.apiToken);

    const fleet = await tursoTodoFleet(dataDir, standin, 'cli-');
    try {
      for (const name of names) expect(await todoTitles(fleet, name)).toEqual([`${name} todo 1`, `${name} todo 2`]);
    } finally {
      await fleet.close();
    }
  });
});
