import type LibsqlModule from 'libsql';
import { loadOptional } from './load-optional';

/** `libsql` (embedded replicas), an optional peer: only a Turso catalog needs it. */
export function libsqlDatabase(): typeof LibsqlModule {
  return loadOptional<typeof LibsqlModule>('libsql', 'A Turso catalog (SILO_CATALOG_URL)');
}
