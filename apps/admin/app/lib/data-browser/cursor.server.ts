import type { SqlValue } from '@silo/fleet';
import type { Cursor } from './keyset';

/** A cursor in a URL: JSON, with blobs and big integers spelled out (they have no JSON form). */
export function encodeCursor(cursor: Cursor): string {
  return JSON.stringify(
    cursor.map((value) => {
      if (value instanceof Uint8Array) return { b: Buffer.from(value).toString('base64') };
      if (typeof value === 'bigint') return { i: value.toString() };
      return value;
    }),
  );
}

export function decodeCursor(text: string | null): Cursor | undefined {
  if (!text) return undefined;
  try {
    const parsed: unknown = JSON.parse(text);
    if (!Array.isArray(parsed)) return undefined;
    return parsed.map((value: unknown): SqlValue => {
      if (value === null || typeof value === 'number' || typeof value === 'string') return value;
      if (typeof value === 'object' && 'b' in value && typeof value.b === 'string') return new Uint8Array(Buffer.from(value.b, 'base64'));
      if (typeof value === 'object' && 'i' in value && typeof value.i === 'string' && /^-?\d+$/.test(value.i)) return BigInt(value.i);
      throw new Error('bad cursor');
    });
  } catch {
    return undefined;
  }
}
