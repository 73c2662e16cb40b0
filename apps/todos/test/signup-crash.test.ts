/**
 * Sign-up under kill -9 (issue #21, item 2). The TODO server is killed with SIGKILL at random
 * moments while lists are being created, then started again on the same data (the fleet it
 * opens reconciles at start-up). Every ready list must have exactly one user, its owner, who
 * can sign in; a list a crash interrupted is not ready, and its name can be signed up again.
 *
 * SILO_SIGNUP_KILL_TRIALS raises the number of kills (default 8; 100 for the "Done means").
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openFleet, type Fleet } from '@silo/fleet';
import { afterAll, describe, expect, it } from 'vitest';
import { PASSWORD, createFields, get, post } from './http';
import { startServer, todoSchema, type TestServer } from './server';

const TRIALS = Number(process.env['SILO_SIGNUP_KILL_TRIALS'] ?? 8);
/** Sign-ups in flight at once: several are usually mid-create when the kill lands. */
const IN_FLIGHT = 6;

const dataDir = mkdtempSync(path.join(tmpdir(), 'silo-signup-crash-'));
let server: TestServer | undefined;

afterAll(async () => {
  await server?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

/** Posts sign-ups of fresh names, IN_FLIGHT at a time, until the server stops answering. */
function signUpUntilKilled(base: string, prefix: string, attempted: string[]): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    for (;;) {
      const name = `${prefix}-${next++}`;
      attempted.push(name);
      try {
        await post(base, '/?index', createFields(name));
      } catch {
        return; // the server is gone
      }
    }
  };
  return Promise.all(Array.from({ length: IN_FLIGHT }, worker)).then(() => undefined);
}

interface Users {
  total: number;
  owners: number;
}

async function usersOf(fleet: Fleet, name: string): Promise<Users> {
  const { rows } = await fleet.query(name, "SELECT count(*) AS total, count(*) FILTER (WHERE role = 'owner') AS owners FROM users");
  return { total: Number(rows[0]?.[0]), owners: Number(rows[0]?.[1]) };
}

describe('the TODO server killed during sign-ups', () => {
  it(`leaves every ready list with exactly one owner who can sign in (${TRIALS} kills)`, { timeout: 60_000 + TRIALS * 15_000 }, async () => {
    const attempted: string[] = [];
    const checked = new Set<string>();
    let interrupted = 0;
    let ready = 0;
    for (let trial = 0; trial <= TRIALS; trial++) {
      server = await startServer({}, { engine: 'local', dataDir });
      const base = server.url;
      // The first request opens the fleet, which reconciles what the last kill left.
      expect((await get(base, '/')).status).toBe(200);

      const fleet = await openFleet({ schema: await todoSchema(), dataDir, reconcileOnOpen: false, actor: 'test' });
      try {
        expect(fleet.list({ state: 'provisioning' }).total, `after kill ${trial}`).toBe(0);
        for (const instance of fleet.list({ state: ['ready', 'failed'], limit: 1_000 }).items) {
          if (checked.has(instance.name)) continue;
          checked.add(instance.name);
          if (instance.state === 'failed') {
            // Interrupted: never served, and the name can be signed up again (and then works).
            interrupted++;
            const again = await post(base, '/?index', createFields(instance.name));
            expect(again.status, `${instance.name} signed up again: ${again.body.slice(0, 300)}`).toBe(302);
            expect(await usersOf(fleet, instance.name)).toEqual({ total: 1, owners: 1 });
            continue;
          }
          ready++;
          expect(await usersOf(fleet, instance.name), `users of ready list ${instance.name} after kill ${trial}`).toEqual({ total: 1, owners: 1 });
          const signIn = await post(base, `/t/${instance.name}/sign-in`, { email: `owner@${instance.name}.test`, password: PASSWORD });
          expect(signIn.status, `sign-in to ${instance.name}`).toBe(302);
          expect((await get(base, `/t/${instance.name}`, signIn.cookie)).status).toBe(200);
        }
      } finally {
        await fleet.close();
      }
      if (trial === TRIALS) break;

      // Sign-ups in flight, then a kill at a random moment among them.
      const running = signUpUntilKilled(base, `t${trial}`, attempted);
      await new Promise((resolve) => setTimeout(resolve, 150 + Math.random() * 600));
      await server.kill();
      await running;
    }
    await server?.stop();
    server = undefined;
    console.info(`sign-up kills: ${TRIALS} kills, ${attempted.length} sign-ups attempted, ${ready} lists ready (all with one owner), ${interrupted} interrupted and signed up again`);
    expect(ready).toBeGreaterThan(0);
  });
});
