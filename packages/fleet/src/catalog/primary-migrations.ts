import { createClient } from '@libsql/client';
import type { Migration } from '../schema';
import type { CatalogLocation } from './catalog-db';

/**
 * Brings a catalog on Turso to the current schema on its primary, before any replica opens
 * it: one write transaction reads `user_version` and runs what is missing, so two servers
 * starting together migrate once. This goes through @libsql/client, which sends the SQL as
 * written: libsql's replica re-prints statements it parses and garbles `STRICT, WITHOUT ROWID`
 * in a multi-statement text.
 */
export async function migrateCatalogPrimary(location: Extract<CatalogLocation, { kind: 'turso' }>, migrations: readonly Migration[]): Promise<void> {
  // The client resolves its endpoints relative to the URL, so a database under a path needs the slash the replica must not have.
  const client = createClient({ url: `${location.syncUrl}/`, authToken: location.authToken });
  try {
    const transaction = await client.transaction('write');
    try {
      const from = Number((await transaction.execute('PRAGMA user_version')).rows[0]?.[0] ?? 0);
      const pending = migrations.filter((migration) => migration.version > from);
      for (const migration of pending) await transaction.executeMultiple(migration.sql);
      const to = pending.at(-1)?.version;
      if (to !== undefined) await transaction.execute(`PRAGMA user_version = ${to}`);
      await transaction.commit();
    } finally {
      transaction.close();
    }
  } finally {
    client.close();
  }
}
