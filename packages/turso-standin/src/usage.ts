/** Usage as the Platform API's DatabaseUsageObject shapes it. */
export interface UsageTotals {
  rows_read: number;
  rows_written: number;
  storage_bytes: number;
  bytes_synced: number;
}

const BUCKET_MS = 60_000;

/**
 * Rows read and written by the SQL endpoint, kept per minute so `usage?from=&to=` can
 * select a period (a bucket counts when its minute starts inside [from, to]).
 */
export class UsageCounter {
  readonly #buckets = new Map<number, { read: number; written: number }>();

  record(rowsRead: number, rowsWritten: number, nowMs: number): void {
    if (rowsRead === 0 && rowsWritten === 0) return;
    const key = Math.floor(nowMs / BUCKET_MS) * BUCKET_MS;
    const bucket = this.#buckets.get(key) ?? { read: 0, written: 0 };
    bucket.read += rowsRead;
    bucket.written += rowsWritten;
    this.#buckets.set(key, bucket);
  }

  totals(fromMs: number | undefined, toMs: number | undefined): { rowsRead: number; rowsWritten: number } {
    let rowsRead = 0;
    let rowsWritten = 0;
    const from = fromMs === undefined ? -Infinity : Math.floor(fromMs / BUCKET_MS) * BUCKET_MS;
    for (const [start, bucket] of this.#buckets) {
      if (start < from || (toMs !== undefined && start > toMs)) continue;
      rowsRead += bucket.read;
      rowsWritten += bucket.written;
    }
    return { rowsRead, rowsWritten };
  }
}
