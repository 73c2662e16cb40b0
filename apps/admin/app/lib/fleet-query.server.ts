import type { Fleet, InstanceFilter, QueryAllEvent, SqlValue } from '@silo/fleet';
import { csvLine } from '@silo/fleet/format';
import { field } from './http.server';
import { combine, type InstanceRows } from './combine-results';

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
 * Runs the query across the fleet; the CSV is the page's table, rows in the same order
 * (instances by name: `combine`), so answers are gathered before the first row is written, as
 * the page gathers them. Failed instances are left out. Fields are neutralised against
 * spreadsheet formulas by the shared `csvLine`.
 */
export async function* csvLines(events: AsyncIterable<QueryAllEvent>): AsyncGenerator<string> {
  const answers: InstanceRows<SqlValue>[] = [];
  for await (const event of events) if (event.status === 'ok') answers.push(event);
  const { columns, rows } = combine(answers);
  yield csvLine(columns, '\r\n');
  for (const row of rows) yield csvLine(row, '\r\n');
}
