/** One instance's answer to a fleet query, in the stream (cells) or on the server (SQL values). */
export interface InstanceRows<V> {
  readonly instance: string;
  readonly columns: readonly string[];
  readonly rows: readonly (readonly V[])[];
}

/**
 * The one table of a fleet query, shown on the page and downloaded as CSV alike: an `instance`
 * column, then the union of the columns in first-seen order, instances in name order.
 */
export function combine<V>(results: readonly InstanceRows<V>[]): { columns: string[]; rows: (V | string | null)[][] } {
  const sorted = [...results].sort((a, b) => (a.instance < b.instance ? -1 : a.instance > b.instance ? 1 : 0));
  const columns: string[] = [];
  for (const result of sorted) for (const column of result.columns) if (!columns.includes(column)) columns.push(column);
  const rows: (V | string | null)[][] = [];
  for (const result of sorted) {
    const index = result.columns.map((column) => columns.indexOf(column));
    for (const row of result.rows) {
      const cells = new Array<V | null>(columns.length).fill(null);
      row.forEach((value, i) => {
        const at = index[i] ?? -1;
        if (at >= 0) cells[at] = value;
      });
      rows.push([result.instance, ...cells]);
    }
  }
  return { columns: ['instance', ...columns], rows };
}

/** Failures grouped by their message, the most common first: one line for 9,998 instances with the same error. */
export function groupErrors<E extends { instance: string; code: string; error: string }>(errors: readonly E[]): { code: string; error: string; count: number; instances: string[] }[] {
  const groups = new Map<string, { code: string; error: string; count: number; instances: string[] }>();
  for (const e of errors) {
    const key = `${e.code}\u0000${e.error}`;
    const group = groups.get(key) ?? { code: e.code, error: e.error, count: 0, instances: [] };
    group.count++;
    group.instances.push(e.instance);
    groups.set(key, group);
  }
  return [...groups.values()]
    .map((group) => ({ ...group, instances: group.instances.sort() }))
    .sort((a, b) => b.count - a.count || (a.error < b.error ? -1 : 1));
}

/**
 * A failure's message with its instance's own name taken out ("Instance \"{name}\" is
 * deleted"), so the same failure on many instances groups as one line.
 */
export function genericMessage(message: string, instance: string): string {
  return message.split(`"${instance}"`).join('"{name}"');
}
