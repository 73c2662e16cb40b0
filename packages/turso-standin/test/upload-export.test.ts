/**
 * The stand-in's byte paths, as turso-cli drives Turso: `db create --from-file` (a
 * `database_upload` draft, a database token, the file sent to the database's Hostname) and
 * `db export` (`/info`, `/export/{generation}`, `/sync/{generation}/{from}/{to}` in batches of
 * 128 frames until 400/500). The export test rebuilds the file exactly as turso-cli does (a
 * -wal file with fresh salts and checksums that SQLite recovers), independently of the engine.
 */
import { createClient as createLibsqlClient, type Client, type LibsqlError } from '@libsql/client';
import { createClient as createTursoApi } from '@tursodatabase/api';
import Database from 'better-sqlite3';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { libsqlClientConfig, startTursoStandin, type TursoStandin } from '../src/index';
import { UPLOAD_CHUNK_BYTES } from '../src/upload';

let standin: TursoStandin;
let dataDir: string;
let work: string;
let api: ReturnType<typeof createTursoApi>;
const clients: Client[] = [];

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'standin-bytes-'));
  work = mkdtempSync(path.join(tmpdir(), 'standin-bytes-files-'));
  standin = await startTursoStandin({ dataDir, notReadyMs: 0 });
  api = createTursoApi(standin.apiClientConfig);
  await api.groups.create('tenants', 'aws-eu-west-1');
});

afterAll(async () => {
  for (const client of clients) client.close();
  await standin?.close();
  rmSync(dataDir, { recursive: true, force: true });
  rmSync(work, { recursive: true, force: true });
});

/** POST /v1/organizations/{org}/databases with `seed: {type: "database_upload"}`, as turso-cli sends it. */
async function createDraft(name: string): Promise<{ hostname: string; token: string; base: string }> {
  const response = await fetch(`${standin.platformUrl}organizations/${standin.org}/databases`, {
    method: 'POST',
    headers: { authorization: `Bearer ${standin.apiToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name, group: 'tenants', seed: { type: 'database_upload' } }),
  });
  expect(response.status).toBe(200);
  const { database } = (await response.json()) as { database: { Hostname: string } };
  const { jwt } = await api.databases.createToken(name, { expiration: '1h' });
  return { hostname: database.Hostname, token: jwt, base: `http://${database.Hostname.replace(/\/+$/, '')}` };
}

function client(hostname: string, token: string): Client {
  const created = createLibsqlClient({ ...libsqlClientConfig(hostname, token), intMode: 'number' });
  clients.push(created);
  return created;
}

/** A SQLite file; by default in the shape Turso accepts (WAL, 4096-byte pages, no auto_vacuum), checkpointed. */
function sqliteFile(name: string, options: { pageSize?: number; autoVacuum?: number; wal?: boolean; rows?: number } = {}): string {
  const file = path.join(work, name);
  const db = new Database(file);
  db.pragma(`page_size = ${options.pageSize ?? 4096}`);
  db.pragma(`auto_vacuum = ${options.autoVacuum ?? 0}`);
  db.exec('CREATE TABLE items (id INTEGER PRIMARY KEY, body TEXT NOT NULL)');
  const insert = db.prepare('INSERT INTO items (body) VALUES (?)');
  db.transaction(() => {
    for (let i = 0; i < (options.rows ?? 100); i++) insert.run(`item ${i} ${randomBytes(64).toString('hex')}`);
  })();
  if (options.wal ?? true) {
    db.pragma('journal_mode = WAL');
    db.pragma('wal_checkpoint(TRUNCATE)');
  }
  db.close();
  return file;
}

async function uploadV1(target: { base: string; token: string }, body: Buffer): Promise<{ status: number; body: unknown }> {
  const response = await fetch(`${target.base}/v1/upload`, {
    method: 'POST',
    headers: { authorization: `Bearer ${target.token}`, 'content-type': 'application/octet-stream' },
    body,
  });
  return { status: response.status, body: await response.json() };
}

async function put(target: { base: string; token: string }, route: string, body?: Buffer | string): Promise<Response> {
  return fetch(`${target.base}${route}`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${target.token}`, 'content-type': typeof body === 'string' ? 'application/json' : 'application/octet-stream' },
    ...(body === undefined ? {} : { body }),
  });
}

async function status404(promise: Promise<unknown>): Promise<number | undefined> {
  return promise.then(
    () => 200,
    (error: LibsqlError) => (error.cause as { status?: number } | undefined)?.status,
  );
}

describe('import: a database_upload draft filled by an upload', () => {
  it('is created but not served (SQL and sync answer 404) until the upload activates it', async () => {
    const draft = await createDraft('drafted');
    const sql = client(draft.hostname, draft.token);
    expect(await status404(sql.execute('SELECT 1'))).toBe(404);
    expect((await fetch(`${draft.base}/info`, { headers: { authorization: `Bearer ${draft.token}` } })).status).toBe(404);
    // It exists in the Platform API meanwhile (turso-cli deletes it if the upload fails).
    expect(await api.databases.get('drafted')).toMatchObject({ name: 'drafted' });

    const bytes = readFileSync(sqliteFile('drafted.db', { rows: 250 }));
    const uploaded = await uploadV1(draft, bytes);
    expect(uploaded).toEqual({ status: 200, body: {} });
    // The upload is the database byte for byte: checking it changed nothing.
    expect(readFileSync(serverFile('drafted')).equals(bytes)).toBe(true);
    expect((await sql.execute('SELECT count(*) AS n FROM items')).rows[0]?.['n']).toBe(250);
    // The uploaded bytes are the database: same page size, WAL mode kept.
    expect((await sql.execute('PRAGMA page_size')).rows[0]?.[0]).toBe(4096);
  });

  it.each([
    ['not in WAL mode', { wal: false }, /not in WAL mode/],
    ['with 8192-byte pages', { pageSize: 8192 }, /4KB page size/],
    ['with auto_vacuum', { autoVacuum: 1 }, /autovacuum disabled/],
  ])('refuses a file %s with 400 { error }, and the draft stays unserved', async (label, options, message) => {
    const name = `refused-${label.replace(/[^a-z0-9]+/g, '-')}`.replace(/-+$/, '');
    const draft = await createDraft(name);
    const result = await uploadV1(draft, readFileSync(sqliteFile(`${name}.db`, options)));
    expect(result.status).toBe(400);
    expect(result.body).toEqual({ error: expect.stringMatching(message) });
    expect(await status404(client(draft.hostname, draft.token).execute('SELECT 1'))).toBe(404);
  });

  it('refuses bytes that are not SQLite, a truncated file and a corrupted one', async () => {
    const draft = await createDraft('garbage');
    expect(await uploadV1(draft, randomBytes(8192))).toEqual({ status: 400, body: { error: 'file is not a SQLite database' } });
    const good = readFileSync(sqliteFile('garbage.db', { rows: 2_000 }));
    const truncated = await uploadV1(draft, good.subarray(0, good.length - 4096));
    expect(truncated).toMatchObject({ status: 400, body: { error: expect.stringMatching(/truncated|integrity check failed/) } });
    const corrupted = Buffer.from(good);
    randomBytes(4096).copy(corrupted, 4096 * 3);
    expect(await uploadV1(draft, corrupted)).toMatchObject({ status: 400, body: { error: expect.stringMatching(/integrity check failed/) } });
    // A valid file still activates it afterwards.
    expect((await uploadV1(draft, good)).status).toBe(200);
  });

  it('needs a full-access token (403 read-only, 401 none) and never overwrites an active database', async () => {
    const draft = await createDraft('guarded');
    const readOnly = (await api.databases.createToken('guarded', { authorization: 'read-only' })).jwt;
    const file = readFileSync(sqliteFile('guarded.db'));
    expect(await uploadV1({ base: draft.base, token: readOnly }, file)).toMatchObject({ status: 403 });
    expect(await uploadV1({ base: draft.base, token: 'nope' }, file)).toMatchObject({ status: 401 });
    expect((await uploadV1(draft, file)).status).toBe(200);
    expect(await uploadV1(draft, file)).toMatchObject({ status: 400, body: { error: expect.stringMatching(/already uploaded/) } });
    // Nor one created without the seed.
    const plain = await api.databases.create('plain', { group: 'tenants' });
    const token = (await api.databases.createToken('plain')).jwt;
    expect(await uploadV1({ base: `http://${plain.hostname.replace(/\/+$/, '')}`, token }, file)).toMatchObject({ status: 400 });
  });

  it('refuses a database_upload draft in a group off AWS (turso-cli sends those a SQL dump)', async () => {
    await api.groups.create('legacy', 'fra');
    const response = await fetch(`${standin.platformUrl}organizations/${standin.org}/databases`, {
      method: 'POST',
      headers: { authorization: `Bearer ${standin.apiToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'legacy-draft', group: 'legacy', seed: { type: 'database_upload' } }),
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ error: expect.stringMatching(/only supported for groups on AWS/) });
    // An ordinary create there is fine.
    expect((await api.databases.create('legacy-plain', { group: 'legacy' })).name).toBe('legacy-plain');
  });

  it('takes the chunked upload turso-cli sends since December 2025 (start, chunks, finalize)', async () => {
    const draft = await createDraft('chunked');
    const file = readFileSync(sqliteFile('chunked.db', { rows: 60_000 }));
    expect(file.length).toBeGreaterThan(UPLOAD_CHUNK_BYTES);
    const started = await put(draft, '/v2/upload/start', JSON.stringify({ db_size_bytes: file.length }));
    expect(started.status).toBe(200);
    const { chunk_size: chunkSize, upload_id: uploadId } = (await started.json()) as { chunk_size: number; upload_id: string };
    expect(chunkSize).toBe(UPLOAD_CHUNK_BYTES);
    const chunks = Math.ceil(file.length / chunkSize);
    // A chunk of the wrong length, and finalize before every chunk arrived, are refused.
    expect((await put(draft, `/v2/upload/${uploadId}/chunk/0`, file.subarray(0, 10))).status).toBe(400);
    for (let index = 0; index < chunks - 1; index++) {
      expect((await put(draft, `/v2/upload/${uploadId}/chunk/${index}`, file.subarray(index * chunkSize, (index + 1) * chunkSize))).status).toBe(200);
    }
    const early = await put(draft, `/v2/upload/${uploadId}/finalize`);
    expect(early.status).toBe(400);
    expect(await early.json()).toEqual({ error: expect.stringMatching(/missing chunks/) });
    const last = chunks - 1;
    expect((await put(draft, `/v2/upload/${uploadId}/chunk/${last}`, file.subarray(last * chunkSize))).status).toBe(200);
    expect((await put(draft, `/v2/upload/${uploadId}/finalize`)).status).toBe(200);
    expect((await client(draft.hostname, draft.token).execute('SELECT count(*) AS n FROM items')).rows[0]?.['n']).toBe(60_000);
    expect((await put(draft, `/v2/upload/${uploadId}/finalize`)).status).toBe(400);
  });
});

describe('upload limits', () => {
  it('needs Content-Length on POST /v1/upload (api-reference/databases/upload) and refuses files over 20 GB (turso-cli MaxAWSDBSizeBytes)', async () => {
    const draft = await createDraft('limits');
    const file = readFileSync(sqliteFile('limits.db'));
    // A streamed body goes out chunked, without Content-Length.
    const chunked = await fetch(`${draft.base}/v1/upload`, {
      method: 'POST',
      headers: { authorization: `Bearer ${draft.token}`, 'content-type': 'application/octet-stream' },
      body: new ReadableStream({
        start(controller) {
          controller.enqueue(new Uint8Array(file));
          controller.close();
        },
      }),
      duplex: 'half',
    } as RequestInit & { duplex: 'half' });
    expect(chunked.status).toBe(400);
    expect(await chunked.json()).toEqual({ error: expect.stringContaining('Content-Length') });
    const tooLarge = await put(draft, '/v2/upload/start', JSON.stringify({ db_size_bytes: 20 * 1024 ** 3 + 1 }));
    expect(tooLarge.status).toBe(400);
    expect(await tooLarge.json()).toEqual({ error: expect.stringContaining('20 GB') });
    // The draft still takes a file of a size Turso accepts.
    expect(await uploadV1(draft, file)).toEqual({ status: 200, body: {} });
  });
});

/** The stand-in's own file of a database, from its state file. */
function serverFile(name: string): string {
  const state = JSON.parse(readFileSync(path.join(dataDir, 'standin-state.json'), 'utf8')) as { databases: { name: string; file: string }[] };
  const file = state.databases.find((db) => db.name === name)?.file;
  if (file === undefined) throw new Error(`no database ${name}`);
  return file;
}

/** `turso db export` as turso-cli implements it: image, then a -wal file of the frames with fresh salts and checksums. */
async function tursoCliExport(base: string, token: string, output: string): Promise<{ frames: number; requests: number }> {
  const headers = { authorization: `Bearer ${token}` };
  const info = (await (await fetch(`${base}/info`, { headers })).json()) as { current_generation: number };
  const image = await fetch(`${base}/export/${info.current_generation}`, { headers });
  expect(image.status).toBe(200);
  writeFileSync(output, Buffer.from(await image.arrayBuffer()));
  const header = Buffer.alloc(32);
  header.writeUInt32BE(0x377f0682, 0);
  header.writeUInt32BE(3007000, 4);
  header.writeUInt32BE(4096, 8);
  const salt1 = randomBytes(4).readUInt32BE(0);
  const salt2 = randomBytes(4).readUInt32BE(0);
  header.writeUInt32BE(salt1, 16);
  header.writeUInt32BE(salt2, 20);
  let s0 = 0;
  let s1 = 0;
  const sum = (bytes: Buffer): void => {
    for (let i = 0; i < bytes.length; i += 8) {
      s0 = (s0 + bytes.readUInt32LE(i) + s1) >>> 0;
      s1 = (s1 + bytes.readUInt32LE(i + 4) + s0) >>> 0;
    }
  };
  sum(header.subarray(0, 24));
  header.writeUInt32BE(s0, 24);
  header.writeUInt32BE(s1, 28);
  const wal: Buffer[] = [header];
  let frames = 0;
  let requests = 0;
  for (let from = 1; ; ) {
    const response = await fetch(`${base}/sync/${info.current_generation}/${from}/${from + 128}`, { headers });
    requests++;
    if (response.status === 400 || response.status === 500) break;
    expect(response.status).toBe(200);
    const body = Buffer.from(await response.arrayBuffer());
    const count = body.length / 4120;
    for (let i = 0; i < count; i++) {
      const frame = Buffer.from(body.subarray(i * 4120, (i + 1) * 4120));
      frame.writeUInt32BE(salt1, 8);
      frame.writeUInt32BE(salt2, 12);
      sum(frame.subarray(0, 8));
      sum(frame.subarray(24));
      frame.writeUInt32BE(s0, 16);
      frame.writeUInt32BE(s1, 20);
      wal.push(frame);
    }
    frames += count;
    if (count < 128) break;
    from += count;
  }
  writeFileSync(`${output}-wal`, Buffer.concat(wal));
  return { frames, requests };
}

describe('export: what turso db export reads', () => {
  it('rebuilds the database byte for byte from the image and the frames written after it', async () => {
    const created = await api.databases.create('exported', { group: 'tenants' });
    const token = (await api.databases.createToken('exported', { authorization: 'read-only' })).jwt;
    const full = (await api.databases.createToken('exported')).jwt;
    const base = `http://${created.hostname.replace(/\/+$/, '')}`;
    const sql = client(created.hostname, full);
    await sql.execute('CREATE TABLE items (id INTEGER PRIMARY KEY, body TEXT NOT NULL)');
    await sql.execute("CREATE VIRTUAL TABLE items_fts USING fts5(body)");
    // The generation's image is taken at the first /info; what is written after it arrives as frames.
    expect(await (await fetch(`${base}/info`, { headers: { authorization: `Bearer ${token}` } })).json()).toEqual({ current_generation: 1 });
    for (let batch = 0; batch < 20; batch++) {
      const rows = Array.from({ length: 50 }, (_, i) => `row ${batch * 50 + i} ${randomBytes(100).toString('hex')}`);
      await sql.batch(
        rows.flatMap((body) => [
          { sql: 'INSERT INTO items (body) VALUES (?)', args: [body] },
          { sql: 'INSERT INTO items_fts (body) VALUES (?)', args: [body] },
        ]),
        'write',
      );
    }
    const output = path.join(work, 'exported.db');
    const { frames, requests } = await tursoCliExport(base, token, output);
    expect(frames).toBeGreaterThan(128); // several batches, ended by a 400
    expect(requests).toBeGreaterThan(1);

    // SQLite recovers the -wal turso-cli wrote; a checkpoint folds it into the file.
    const exported = new Database(output);
    exported.pragma('wal_checkpoint(TRUNCATE)');
    expect(exported.pragma('integrity_check', { simple: true })).toBe('ok');
    expect(exported.prepare("SELECT count(*) FROM items_fts WHERE items_fts MATCH 'row'").pluck().get()).toBe(1000);
    exported.close();

    // Byte for byte the stand-in's own file, once that is checkpointed too.
    const file = serverFile('exported');
    const server = new Database(file);
    expect(server.pragma('wal_checkpoint(TRUNCATE)')).toEqual([{ busy: 0, log: 0, checkpointed: 0 }]);
    server.close();
    await sleep(0);
    expect(readFileSync(output).equals(readFileSync(file))).toBe(true);
  });

  it('answers 400 past the last frame and 404 for a generation that does not exist', async () => {
    const created = await api.databases.create('ended', { group: 'tenants' });
    const token = (await api.databases.createToken('ended')).jwt;
    const base = `http://${created.hostname.replace(/\/+$/, '')}`;
    const headers = { authorization: `Bearer ${token}` };
    expect((await fetch(`${base}/info`, { headers })).status).toBe(200);
    expect((await fetch(`${base}/sync/1/1/129`, { headers })).status).toBe(400);
    expect((await fetch(`${base}/export/7`, { headers })).status).toBe(404);
    expect((await fetch(`${base}/info`)).status).toBe(401);
  });
});
