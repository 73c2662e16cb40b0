/** A list with an owner and members, made over HTTP, for the account tests. */
import path from 'node:path';
import Database from 'better-sqlite3';
import type { TestServer } from './server';
import { PASSWORD, createList, csrfFrom, get, post, uniqueName } from './http';

export async function csrfOf(base: string, name: string, cookie: string): Promise<string> {
  const page = await get(base, `/t/${name}/account`, cookie);
  if (page.status !== 200) throw new Error(`No account page: ${page.status}`);
  return csrfFrom(page.body);
}

/** An invite from the owner, accepted by `email`: the member's session cookie. */
export async function join(base: string, name: string, ownerCookie: string, email: string): Promise<string> {
  const invite = await post(base, `/t/${name}/members`, { intent: 'invite', csrf: await csrfOf(base, name, ownerCookie) }, { cookie: ownerCookie });
  const url = /value="(http[^"]+\/invite\/[^"]+)"/.exec(invite.body)?.[1];
  if (!url) throw new Error(`No invite link: ${invite.status}`);
  const joined = await post(base, new URL(url).pathname, { email, password: PASSWORD });
  if (joined.status !== 302 || !joined.cookie) throw new Error(`Joining failed: ${joined.status}`);
  return joined.cookie;
}

export interface Team {
  name: string;
  owner: string;
  ownerEmail: string;
  ada: string;
  bob: string;
  adaCookie: string;
  bobCookie: string;
}

/** The owner and two members, ada and bob, each signed in once (cookies are `silo_session=…`). */
export async function team(base: string, prefix: string): Promise<Team> {
  const name = uniqueName(prefix);
  const owner = await createList(base, name);
  const ada = `ada@${name}.test`;
  const bob = `bob@${name}.test`;
  const adaCookie = await join(base, name, owner, ada);
  const bobCookie = await join(base, name, owner, bob);
  return { name, owner, ownerEmail: `owner@${name}.test`, ada, bob, adaCookie, bobCookie };
}

export async function sql(server: TestServer, name: string, statement: string, args: (string | number)[] = []): Promise<Record<string, unknown>[]> {
  const fleet = await server.fleet();
  return fleet.withInstance(name, async (db) => (await db.execute(statement, args)).rows as Record<string, unknown>[]);
}

export async function userId(server: TestServer, name: string, email: string): Promise<number> {
  const [row] = await sql(server, name, 'SELECT id FROM users WHERE email = ?', [email]);
  if (!row) throw new Error(`No user ${email}`);
  return Number(row['id']);
}

export async function roles(server: TestServer, name: string): Promise<Record<string, string>> {
  const rows = await sql(server, name, 'SELECT email, role FROM users ORDER BY id');
  return Object.fromEntries(rows.map((row) => [String(row['email']), String(row['role'])]));
}

/**
 * Takes the write lock of a list's database (local engine only) on a connection of the test's
 * own, and returns the function that lets it go. A whole-list write ("toggle all", "clear
 * completed") runs on the fleet's worker thread and waits for it there, holding the list's
 * turns meanwhile: a request held in the server until the test lets go (within the tenant
 * connections' busy timeout, 5 s), without stalling its body (which the server receives before
 * any turn is taken).
 */
export async function lockListDatabase(server: TestServer, name: string): Promise<() => void> {
  const instance = (await server.fleet()).find(name);
  const match = /^local:([^/]+)\/([0-9a-f]{2})\/(.+\.db)$/.exec(instance?.dbUrl ?? '');
  if (!match) throw new Error(`Unexpected database URL ${instance?.dbUrl}`);
  const lock = new Database(path.join(server.dataDir, 'regions', match[1] as string, 'tenants', match[2] as string, match[3] as string));
  lock.exec('BEGIN IMMEDIATE');
  return () => {
    if (!lock.open) return;
    lock.exec('ROLLBACK');
    lock.close();
  };
}
