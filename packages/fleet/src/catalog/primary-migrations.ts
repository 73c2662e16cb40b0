import { createClient } from '../optional/libsql-client';
import type { Migration } from '../schema';
import type { CatalogLocation } from './catalog-db';
import { readRemoteVersion, writeRemoteVersion } from '../engines/turso-shared';

/**
 * Brings a catalog on Turso to the current schema on its primary, before any replica opens
 * it: one write transaction reads the version and runs what is missing, so two servers
 * starting together migrate once. The version is in Silo's version table (version-table.ts),
 * since Turso refuses `PRAGMA user_version`; and the migrations avoid what Turso does not run
 * (TEMP tables, ANALYZE). This goes through @libsql/client, which sends the SQL as
 * written: libsql's replica re-prints statements it parses and garbles `STRICT, WITHOUT ROWID`
 * in a multi-statement text.
 */
export async function migrateCatalogPrimary(location: Extract<CatalogLocation, { kind: 'turso' }>, migrations: readonly Migration[]): Promise<void> {
  // The client resolves its endpoints relative to the URL, so a database under a path needs the slash the replica must not have.
  const client = createClient({ url: `${location.syncUrl}/`, authToken: location.authToken });
  try {
    const transaction = await client.transaction('write');
    try {
      const from = await readRemoteVersion(transaction);
      const pending = migrations.filter((migration) => migration.version > from);
      for (const migration of pending) await transaction.executeMultiple(migration.sql);
      const to = pending.at(-1)?.version;
      if (to !== undefined) await writeRemoteVersion(transaction, to);
      await transaction.commit();
    } finally {
      transaction.close();
    }
  } finally {
    client.close();
  }
}
