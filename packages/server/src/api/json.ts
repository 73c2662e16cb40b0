import type { InstanceInfo, QueryResult, SqlValue } from '@silo/fleet';

/** A SQLite value as JSON: big integers as strings (JSON numbers lose them), blobs as base64. */
export function jsonValue(value: SqlValue): string | number | null | { base64: string } {
  if (typeof value === 'bigint') return Number.isSafeInteger(Number(value)) ? Number(value) : value.toString();
  if (value instanceof Uint8Array) return { base64: Buffer.from(value).toString('base64') };
  return value;
}

export function jsonResult(result: QueryResult): Omit<QueryResult, 'rows'> & { rows: ReturnType<typeof jsonValue>[][] } {
  return { ...result, rows: result.rows.map((row) => row.map(jsonValue)) };
}

/** The instance without its database URL: where the bytes live is the server's business. */
export function publicInstance<T extends InstanceInfo>(instance: T): Omit<T, 'dbUrl'> {
  const { dbUrl, ...rest } = instance;
  void dbUrl;
  return rest;
}
