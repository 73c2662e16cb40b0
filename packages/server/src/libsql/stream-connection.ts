import Database from 'better-sqlite3';

/**
 * A stream's own connection to an instance file. busy_timeout 0: better-sqlite3 is
 * synchronous, so a waiting writer would block its process and with it the stream holding the
 * lock; the stream retries asynchronously instead. The size cap holds per connection
 * (`max_page_count`, as on every fleet connection that writes); a read-only token gets a
 * read-only connection, so SQLite itself refuses its writes.
 */
export function openStreamConnection(file: string, readOnly: boolean, maxBytes: number | undefined): Database.Database {
  const db = new Database(file, { readonly: readOnly, fileMustExist: true });
  try {
    db.pragma('busy_timeout = 0');
    db.pragma('foreign_keys = ON');
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
