import type { SqlValue } from '@silo/fleet';

/** A cell the browser can receive: blobs and bigints become text. */
export type Cell = string | number | null;

export function toCell(value: SqlValue | unknown): Cell {
  if (value === null || value === undefined) return null;
  if (typeof value === 'number' || typeof value === 'string') return value;
  if (typeof value === 'bigint' || typeof value === 'boolean') return String(value);
  if (value instanceof Uint8Array) return `<blob ${value.byteLength} bytes>`;
  return JSON.stringify(value);
}

export function toRows(rows: readonly (readonly unknown[])[]): Cell[][] {
  return rows.map((row) => row.map(toCell));
}
