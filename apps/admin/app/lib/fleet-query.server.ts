import type { Fleet, InstanceFilter, QueryAllEvent, SqlValue } from '@silo/fleet';
import { csvLine } from '@silo/fleet/format';
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

/**
 * Runs the query across the fleet; the CSV has an `instance` column first. Errors go to a trailer-free side list.
 * Fields are neutralised against spreadsheet formulas by the shared `csvField`.
 */
export async function* csvLines(events: AsyncIterable<QueryAllEvent>): AsyncGenerator<string> {
  let header: string[] | undefined;
  for await (const event of events) {
    if (event.status !== 'ok') continue;
    if (!header) {
      header = event.columns;
      yield csvLine(['instance', ...header], '\r\n');
    }
    const index = event.columns.map((column) => header?.indexOf(column) ?? -1);
    for (const row of event.rows) {
      const cells: SqlValue[] = new Array<SqlValue>(header.length).fill(null);
      row.forEach((value, i) => {
        const at = index[i] ?? -1;
        if (at >= 0) cells[at] = value;
      });
      yield csvLine([event.instance, ...cells], '\r\n');
    }
  }
  if (!header) yield 'instance\r\n';
}
