import type { Fleet, InstanceFilter, QueryAllEvent } from '@silo/fleet';
import { field } from './http.server';

export interface FleetQueryInput {
  sql: string;
  filter: InstanceFilter;
}

/** The SQL and the instance filter of a fleet query form; unknown values are ignored. */
export function parseFleetQuery(form: FormData, fleet: Fleet): FleetQueryInput {
  const sql = typeof form.get('sql') === 'string' ? (form.get('sql') as string) : '';
  const jurisdiction = field(form, 'jurisdiction');
  const region = field(form, 'region');
  const search = field(form, 'q').slice(0, 100);
  return {
    sql,
    filter: {
      ...(fleet.regions.jurisdictions.includes(jurisdiction) ? { jurisdiction } : {}),
      ...(fleet.regions.all.some((r) => r.id === region) ? { region } : {}),
      ...(search ? { search } : {}),
    },
  };
}

/** How many instances a fleet query will visit (it only visits ready ones). */
export function countTargets(fleet: Fleet, filter: InstanceFilter): number {
  return fleet.list({ ...filter, state: 'ready', limit: 1 }).total;
}

export function csvField(value: unknown): string {
  if (value === null || value === undefined) return '';
  const text = value instanceof Uint8Array ? `<blob ${value.byteLength} bytes>` : String(value);
  // Neutralise spreadsheet formulas, then quote when needed.
  const safe = /^[=+\-@\t\r]/.test(text) && typeof value === 'string' ? `'${text}` : text;
  return /[",\n\r]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

/** Runs the query across the fleet; the CSV has an `instance` column first. Errors go to a trailer-free side list. */
export async function* csvLines(events: AsyncIterable<QueryAllEvent>): AsyncGenerator<string> {
  let header: string[] | undefined;
  for await (const event of events) {
    if (event.status !== 'ok') continue;
    if (!header) {
      header = event.columns;
      yield `${['instance', ...header].map(csvField).join(',')}\r\n`;
    }
    const index = event.columns.map((column) => header?.indexOf(column) ?? -1);
    for (const row of event.rows) {
      const cells: unknown[] = new Array<unknown>(header.length).fill(null);
      row.forEach((value, i) => {
        const at = index[i] ?? -1;
        if (at >= 0) cells[at] = value;
      });
      yield `${[event.instance, ...cells].map(csvField).join(',')}\r\n`;
    }
  }
  if (!header) yield 'instance\r\n';
}
