import path from 'node:path';
import type Database from 'better-sqlite3';
import { CATALOG_PRAGMAS, openSqlite } from '../sqlite';
import { openReplica } from './replica-db';
import { makePrivateDir } from '../permissions';
import type { CatalogLocation, CatalogWrite, OpenedCatalogDb } from './catalog-db-types';
import { walIndexWatch } from './wal-watch';

// The interfaces live in catalog-db-types.ts so that replica-db.ts, which implements them, does
// not import this module (which opens replicas); re-exported for the catalog's other modules.
export type { CatalogDb, ChangeWatch, CatalogLocation, CatalogRunResult, CatalogStatement, CatalogTransaction, CatalogWrite, OpenedCatalogDb } from './catalog-db-types';

export function openCatalogDb(location: CatalogLocation): OpenedCatalogDb {
  if (location.kind === 'file') {
    makePrivateDir(path.dirname(location.file));
    const db = openSqlite(location.file, CATALOG_PRAGMAS);
    const statements = new Map<string, Database.Statement>();
    const prepared = (sql: string): Database.Statement => {
      let statement = statements.get(sql);
      if (!statement) statements.set(sql, (statement = db.prepare(sql)));
      return statement;
    };
    const write = db.transaction((writes: readonly CatalogWrite[], started?: () => void) => {
      started?.();
      for (const { sql, args } of writes) prepared(sql).run(...args);
    });
    const changes = walIndexWatch(db, location.file);
    return {
      db,
      sync: () => undefined,
      writeBatch: (writes, options) => Promise.resolve(options?.keepsLookups ? changes.unnoticed((started) => write.immediate(writes, started)) : write.immediate(writes)),
      watch: changes.watch,
      close: () => {
        changes.close();
        db.close();
      },
    };
  }
  return openReplica(location);
}

