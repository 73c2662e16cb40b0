import { createCatalogDatabase, siloTursoEnv, startJurisdictionStandin, type TursoStandin } from '@silo/turso-standin';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openFleet, settingsFromEnv } from '@silo/fleet';
import { Client, ensureBuilt, removeDir, signedInAdmin, startServer, tempDataDir, text, todoSchema, type AdminServer } from './helpers';

const EMAIL = 'admin@localhost';
const PASSWORD = 'correct-horse-battery-staple';
const JWT = /eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]+/;

/**
 * The admin console with tenants on Turso (the stand-in), configured by environment variables
 * alone: instance pages, the SQL console (read-only by Turso itself), export and import.
 */
describe('admin console on Turso (stand-in)', () => {
  let standin: TursoStandin;
  let server: AdminServer;
  let dataDir: string;
  let admin: Client;
  let env: Record<string, string>;

  beforeAll(async () => {
    dataDir = tempDataDir();
    standin = await startJurisdictionStandin(`${dataDir}/standin`);
    env = siloTursoEnv(standin);
    const fleet = await openFleet({ schema: await todoSchema(), ...settingsFromEnv({ ...env, SILO_DATA_DIR: dataDir }) });
    await fleet.create('alpha', { jurisdiction: 'eu' });
    await fleet.create('delta', { jurisdiction: 'us' });
    await fleet.close();
    ({ server, admin } = await signedInAdmin({ dataDir, password: PASSWORD, env }));
  });

  afterAll(async () => {
    await server?.stop();
    await standin?.close();
    if (dataDir) removeDir(dataDir);
  });

  it('shows Turso instances with their catalog URL and no token', async () => {
    const page = await (await admin.get('/instances/alpha')).text();
    expect(text(page)).toContain('turso:silo-eu/alpha');
    expect(page).not.toContain(standin.apiToken);
    expect(page).not.toMatch(JWT);
    const list = await (await admin.get('/')).text();
    expect(text(list)).toContain('delta');
  });

  it('SQL console: Turso refuses writes in read-only mode; write mode works', async () => {
    const refused = text(await (await admin.post('/instances/alpha/console', { sql: "INSERT INTO todos (title, created_at, updated_at) VALUES ('x', 1, 1)" })).text());
    expect(refused).toContain('QUERY_READ_ONLY');
    const write = text(
      await (await admin.post('/instances/alpha/console', { sql: "INSERT INTO todos (title, created_at, updated_at) VALUES ('from admin', 1, 1)", mode: 'write' })).text(),
    );
    expect(write).toContain('1 changed');
    const read = await (await admin.post('/instances/alpha/console', { sql: 'SELECT title FROM todos' })).text();
    expect(text(read)).toContain('from admin');
  });

  it('exports a SQLite file and imports it back as a new Turso instance', async () => {
    // The console test's todo, written here when that test did not run first (this one alone with -t).
    if (!text(await (await admin.post('/instances/alpha/console', { sql: 'SELECT title FROM todos' })).text()).includes('from admin')) {
      await admin.post('/instances/alpha/console', { sql: "INSERT INTO todos (title, created_at, updated_at) VALUES ('from admin', 1, 1)", mode: 'write' });
    }
    const exported = await admin.post('/instances/alpha/export', {});
    expect(exported.status).toBe(200);
    const bytes = new Uint8Array(await exported.arrayBuffer());
    expect(Buffer.from(bytes.subarray(0, 16)).toString('latin1')).toBe('SQLite format 3\0');
    const form = new FormData();
    form.set('csrf', admin.csrf);
    form.set('intent', 'import');
    form.set('name', 'alpha-imported');
    form.set('jurisdiction', 'eu');
    form.set('file', new Blob([bytes]), 'upload.sqlite');
    const imported = await admin.request('/?index', { method: 'POST', body: form });
    expect(imported.status).toBe(302);
    const read = await (await admin.post('/instances/alpha-imported/console', { sql: 'SELECT title FROM todos' })).text();
    expect(text(read)).toContain('from admin');
    expect(server.output()).not.toContain(standin.apiToken);
    expect(server.output()).not.toMatch(JWT);
  });
});

describe('two admin consoles sharing one catalog on Turso', () => {
  let standin: TursoStandin;
  let dataDirs: string[];
  let servers: AdminServer[];

  beforeAll(async () => {
    dataDirs = [tempDataDir(), tempDataDir()];
    standin = await startJurisdictionStandin(`${dataDirs[0]}/standin`);
    const catalog = await createCatalogDatabase(standin);
    const env = { ...siloTursoEnv(standin, { prefix: 'shared-' }), ...catalog, SILO_CATALOG_SYNC_INTERVAL_SEC: '0.2', ADMIN_PASSWORD: PASSWORD };
    await ensureBuilt();
    // Started together: each finds no admin in its replica, and the primary lets one create it.
    servers = await Promise.all(dataDirs.map((dataDir) => startServer(dataDir, env)));
  });

  afterAll(async () => {
    for (const server of servers ?? []) await server.stop();
    await standin?.close();
    for (const dataDir of dataDirs ?? []) removeDir(dataDir);
  });

  it('creates the first admin once; an instance made on one console is listed on the other', async () => {
    const created = servers.filter((server) => server.output().includes(`created the first admin ${EMAIL}`));
    expect(created).toHaveLength(1);
    const [one, two] = servers.map((server) => new Client(server.url));
    if (!one || !two) throw new Error('two servers expected');
    expect((await one.signIn(EMAIL, PASSWORD)).status).toBe(302);
    expect((await two.signIn(EMAIL, PASSWORD)).status).toBe(302);
    const made = await one.post('/?index', { intent: 'create', name: 'made-on-one', jurisdiction: 'eu' });
    expect(made.status).toBe(302);
    let listed = '';
    for (const deadline = Date.now() + 30_000; Date.now() < deadline && !listed.includes('made-on-one'); ) {
      listed = text(await (await two.get('/')).text());
      if (!listed.includes('made-on-one')) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(listed).toContain('made-on-one');
    for (const server of servers) expect(server.output()).not.toMatch(JWT);
  });
});
