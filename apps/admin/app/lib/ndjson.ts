/** Reads an NDJSON response body line by line (browser side). */
export async function* readNdjson<T>(response: Response): AsyncGenerator<T> {
  if (!response.body) return;
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    buffer += value;
    let newline = buffer.indexOf('\n');
    while (newline >= 0) {
      const line = buffer.slice(0, newline).trim();
      buffer = buffer.slice(newline + 1);
      if (line) yield JSON.parse(line) as T;
      newline = buffer.indexOf('\n');
    }
  }
  if (buffer.trim()) yield JSON.parse(buffer) as T;
}

/** What /query/stream sends, one JSON object per line. */
export type FleetQueryEvent =
  | { type: 'start'; total: number }
  | { type: 'ok'; instance: string; columns: string[]; rows: (string | number | null)[][]; truncated: boolean; durationMs: number }
  | { type: 'error'; instance: string; code: string; error: string; durationMs: number }
  | { type: 'done'; ok: number; failed: number; durationMs: number }
  | { type: 'fatal'; error: string };

/** What /migrations/run sends. */
export type MigrateEvent =
  | { type: 'start'; total: number }
  | { type: 'progress'; total: number; done: number; succeeded: number; failed: number; last: MigrationRow }
  | { type: 'done'; migrated: number; upToDate: number; failed: number; durationMs: number; results: MigrationRow[]; omitted: number }
  | { type: 'busy'; error: string };

export interface MigrationRow {
  instance: string;
  status: string;
  from: number | null;
  to: number | null;
  error?: string;
  durationMs: number;
}

/** The bulk actions of the instance list that report progress (export is a download instead). */
export const BULK_ACTIONS = ['delete', 'backup', 'migrate'] as const;
export type BulkAction = (typeof BULK_ACTIONS)[number];

/** What /bulk sends: each instance's outcome as it is known (failures with their message), then a summary. */
export type BulkEvent =
  | { type: 'start'; action: BulkAction; total: number }
  | { type: 'progress'; done: number; ok: number; failed: number }
  | { type: 'failure'; instance: string; code: string; error: string }
  | { type: 'done'; ok: number; failed: number; durationMs: number }
  | { type: 'refused'; error: string };
