import Database from 'better-sqlite3';
import { READ_ONLY_SETTING, STREAM_SETTINGS } from './connection-state';

/**
 * A stream's own connection to an instance file. busy_timeout 0: better-sqlite3 is
 * synchronous, so a waiting writer would block its process and with it the stream holding the
 * lock; the stream retries asynchronously instead. The size cap holds per connection
 * (`max_page_count`, as on every fleet connection that writes); a read-only token gets a
 * read-only connection with query_only, so SQLite itself refuses its writes. What it is set to
 * here is what every stream finds (connection-state.ts sets back what a stream may change).
 */
export function openStreamConnection(file: string, readOnly: boolean, maxBytes: number | undefined): Database.Database {
  const db = new Database(file, { readonly: readOnly, fileMustExist: true });
  try {
    db.pragma('busy_timeout = 0');
    db.exec(STREAM_SETTINGS);
    if (readOnly) db.pragma(READ_ONLY_SETTING);
    if (!readOnly && maxBytes !== undefined) {
      const pageSize = Number(db.pragma('page_size', { simple: true }));
      db.pragma(`max_page_count = ${Math.max(1, Math.floor(maxBytes / pageSize))}`);
    }
    db.defaultSafeIntegers(true);
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
}
