import path from 'node:path';
import { openFleet, type Fleet } from '@silo/fleet';
import { todoSchema } from './helpers';
import { siloTursoEnv, startJurisdictionStandin, type TursoStandin } from '@silo/turso-standin';

/** The Turso stand-in on loopback, with one group per jurisdiction of the default regions. */
export function startStandin(dir: string): Promise<TursoStandin> {
  return startJurisdictionStandin(path.join(dir, 'standin'), { notReadyMs: 0 });
}

/** What the app servers and `silo move` are given to reach Turso (here: the stand-in). */
export function tursoEnv(standin: TursoStandin, prefix: string): Record<string, string> {
  return siloTursoEnv(standin, { prefix });
}

/** A TODO fleet on local files: `count` lists named tenant-0000…, each with two todos. */
export async function localTodoFleet(dataDir: string, count: number): Promise<string[]> {
  const fleet = await openFleet({ dataDir, schema: await todoSchema() });
  const names = Array.from({ length: count }, (_, index) => `tenant-${String(index).padStart(4, '0')}`);
  try {
    for (const [index, name] of names.entries()) {
      await fleet.create(name, { jurisdiction: index % 2 === 0 ? 'eu' : 'us' });
      await fleet.withInstance(name, (db) =>
        db.batch([1, 2].map((n) => ({ sql: 'INSERT INTO todos (title, created_at, updated_at) VALUES (?, 1, 1)', args: [`${name} todo ${n}`] }))),
      );
    }
  } finally {
    await fleet.close();
  }
  return names;
}

/** The fleet as an app server opens it with SILO_ENGINE=turso. */
export async function tursoTodoFleet(dataDir: string, standin: TursoStandin, prefix: string): Promise<Fleet> {
  return openFleet({
    dataDir,
    schema: await todoSchema(),
    engineKind: 'turso',
    turso: { org: standin.org, apiToken: standin.apiToken, apiUrl: standin.platformUrl, groups: { eu: 'silo-eu', us: 'silo-us' }, tls: false, databasePrefix: prefix },
  });
}

export async function todoTitles(fleet: Fleet, name: string): Promise<unknown[]> {
  return fleet.withInstance(name, async (db) => (await db.execute('SELECT title FROM todos ORDER BY id')).rows.map((row) => row['title']));
}
