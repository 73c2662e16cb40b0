import { existsSync } from 'node:fs';
import path from 'node:path';
import { createClient, type Client } from '../optional/libsql-client';
import Database from 'better-sqlite3';
import { removeDatabaseFiles, tempSibling } from '../files';
import { consistentCopy } from '../sqlite-files';
import { uploadFrom } from '../engines/turso-shared';
import { SiloError } from '../errors';
import type { FleetSettings } from '../config';
import { Catalog } from './catalog';
import { makePrivateDir } from '../permissions';

export interface CatalogPushReport {
  /** Rows per catalog table, as copied and then counted again on Turso. */
  readonly rows: Readonly<Record<string, number>>;
  readonly instances: number;
  readonly durationMs: number;
}

/**
 * Copies the local catalog (`<dataDir>/catalog.db`) into the empty Turso database that
 * SILO_CATALOG_URL names, so a fleet moving to Turso keeps its instances, admins and audit
 * log. The copy is a consistent snapshot brought to the current catalog schema; the target
 * must be empty (a server started against it first would have made it a catalog of its own),
 * and every table's row count is checked after the upload. Servers should be stopped while it
 * runs: what they write to the local catalog afterwards stays behind.
 */
export async function pushCatalog(settings: FleetSettings, localFile = path.join(settings.dataDir, 'catalog.db')): Promise<CatalogPushReport> {
  const target = settings.catalog;
  if (target.kind !== 'turso') {
    throw new SiloError('CONFIG_INVALID', 'Set SILO_CATALOG_URL and SILO_CATALOG_AUTH_TOKEN to the Turso database the catalog should move to.');
  }
  if (!existsSync(localFile)) throw new SiloError('INVALID_INPUT', `There is no local catalog at ${localFile} to push (check SILO_DATA_DIR).`);
  const started = Date.now();
  const stagingDir = path.join(settings.dataDir, 'staging');
  makePrivateDir(stagingDir);
  const staged = tempSibling(path.join(stagingDir, 'catalog.push.db'));
  const client = createClient({ url: `${target.syncUrl}/`, authToken: target.authToken });
  try {
    await consistentCopy(localFile, staged);
    // Opening it as a catalog brings the snapshot to the current schema.
    new Catalog({ kind: 'file', file: staged }).close();
    const rows = countRows(staged);
    await assertEmpty(client);
    await uploadFrom(staged, client);
    for (const [table, expected] of Object.entries(rows)) {
      const actual = Number((await client.execute(`SELECT count(*) FROM "${table}"`)).rows[0]?.[0] ?? -1);
      if (actual !== expected) {
        throw new SiloError('ENGINE_FAILURE', `The catalog on Turso has ${actual} rows in ${table} after the upload, not ${expected}; empty that database and push again.`);
      }
    }
    return { rows, instances: rows['instances'] ?? 0, durationMs: Date.now() - started };
  } finally {
    client.close();
    removeDatabaseFiles(staged);
  }
}

function countRows(file: string): Record<string, number> {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const tables = db
      .prepare<[], { name: string }>("SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name")
      .all();
    return Object.fromEntries(tables.map(({ name }) => [name, (db.prepare(`SELECT count(*) AS n FROM "${name}"`).get() as { n: number }).n]));
  } finally {
    db.close();
  }
}

async function assertEmpty(client: Client): Promise<void> {
  const objects = await client.execute("SELECT name FROM sqlite_schema WHERE name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND name NOT LIKE 'libsql\\_%' ESCAPE '\\' LIMIT 5");
  if (objects.rows.length > 0) {
    const names = objects.rows.map((row) => String(row[0])).join(', ');
    throw new SiloError(
      'INVALID_STATE',
      `The catalog database on Turso is not empty (it has ${names}): a server may have started against it already. Destroy and re-create that database, then push again.`,
    );
  }
}
