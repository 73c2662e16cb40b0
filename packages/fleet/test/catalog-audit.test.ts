import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Catalog } from '../src/catalog/catalog';
import { CATALOG_MIGRATIONS } from '../src/catalog/catalog-migrations';
import { CATALOG_PRAGMAS, migrateSync, openSqlite } from '../src/sqlite';
import { tempDir } from './helpers';

describe('catalog migration 9: undelete in the audit log', () => {
  it('renames the restore entries written before it, and leaves backup restores alone', () => {
    const file = path.join(tempDir(), 'catalog.db');
    const db = openSqlite(file, CATALOG_PRAGMAS);
    migrateSync(db, CATALOG_MIGRATIONS.filter((migration) => migration.version <= 8));
    const insert = db.prepare("INSERT INTO audit_log (at, actor, operation, instance, outcome, error, detail) VALUES (?, 'cli', ?, 'acme', 'ok', NULL, NULL)");
    insert.run(1, 'delete');
    insert.run(2, 'restore');
    insert.run(3, 'backup-restore');
    db.close();
    const catalog = new Catalog({ kind: 'file', file });
    try {
      expect(catalog.audits.query().items.map((entry) => entry.operation)).toEqual(['backup-restore', 'undelete', 'delete']);
      expect(catalog.audits.query({ operation: 'restore' }).total).toBe(0);
    } finally {
      catalog.close();
    }
  });
});
