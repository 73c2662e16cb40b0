// The libSQL endpoint's handler alone (no HTTP), in a loop, for `--cpu-prof`: what a point read
// costs the server. NODE_OPTIONS=--conditions=@silo/source node --cpu-prof --import tsx bench/profile-libsql.ts
import { createInstanceToken } from '../packages/server/src/instance-tokens';
import { libsqlHandler } from '../packages/server/src/libsql/index';
import { defineTenantSchema } from '@silo/fleet';
import { benchFleet, scratch } from './setup';

const schema = defineTenantSchema({ id: 'bench-libsql', migrations: [{ version: 1, name: 'notes', sql: 'CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL);' }] });
const dataDir = scratch('prof-libsql');
const fleet = await benchFleet(dataDir, {}, schema);
await fleet.create('acme', { jurisdiction: 'eu' });
await fleet.withInstance('acme', (db) => db.batch(Array.from({ length: 1000 }, (_, i) => ({ sql: 'INSERT INTO notes (body) VALUES (?)', args: [`note ${i}`] }))));
const { token } = await createInstanceToken(fleet, { tokenSecretDir: dataDir, instance: 'acme' });
const handler = libsqlHandler(fleet, { tokenSecretDir: dataDir });
const body = (i: number) => JSON.stringify({ requests: [{ type: 'execute', stmt: { sql: 'SELECT id, body FROM notes WHERE id = ?', args: [{ type: 'integer', value: String((i % 1000) + 1) }] } }, { type: 'close' }] });
const one = async (i: number) => (await handler(new Request('http://127.0.0.1:1/db/acme/v2/pipeline', { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: body(i) })))?.arrayBuffer();
for (let i = 0; i < 2000; i++) await one(i);
const n = Number(process.env['N'] ?? 5000);
for (let r = 0; r < 3; r++) {
  const t = performance.now();
  for (let i = 0; i < n; i++) await one(i);
  console.log('handler ms/op', ((performance.now() - t) / n).toFixed(3));
}
handler.close();
await fleet.close();
