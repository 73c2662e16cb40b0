import type { FleetQueryEvent } from '../../lib/ndjson';
import { combine as combineRows } from '../../lib/combine-results';

export type OkResult = Extract<FleetQueryEvent, { type: 'ok' }>;
export type ErrorResult = Extract<FleetQueryEvent, { type: 'error' }>;

/** A fleet query as far as it has come: per-instance results and errors. */
export interface Run {
  total: number;
  ok: OkResult[];
  errors: ErrorResult[];
  finished: boolean;
  durationMs?: number;
  fatal?: string;
}

/** The combined table (shared with the CSV download, so both list rows in the same order). */
export function combine(results: readonly OkResult[]): { columns: string[]; rows: (string | number | null)[][] } {
  return combineRows(results);
}
