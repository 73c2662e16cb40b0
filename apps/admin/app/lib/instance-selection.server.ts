import type { Fleet, ListQuery } from '@silo/fleet';
import { eachListed } from '@silo/fleet/internal';
import type { AdminView } from './app-config.server';
import { parseListParams, toListQuery } from './instances.server';

/** The list's filter and sort as the table has them (its URL parameters); `eachListed` pages it itself. */
export function listQueryOf(params: URLSearchParams, fleet: Fleet, view: AdminView): ListQuery {
  return toListQuery(parseListParams(new URL(`http://list/?${params.toString()}`), fleet, view));
}

/**
 * The instances a bulk action applies to. `scope=filter` is "all N matching the filter": the
 * filter itself is sent, and resolved here when the action runs, so it reaches instances on
 * other pages (and not ones that stopped matching). Otherwise the `name` fields, as checked.
 */
export function selectedInstances(form: FormData, fleet: Fleet, view: AdminView): string[] {
  if (form.get('scope') === 'filter') {
    const params = new URLSearchParams();
    for (const key of ['q', 'state', 'jurisdiction', 'region', 'sort', 'order']) {
      const value = form.get(key);
      if (typeof value === 'string') params.set(key, value);
    }
    return [...eachListed((query) => fleet.list(query), listQueryOf(params, fleet, view))].map((instance) => instance.name);
  }
  const names = form.getAll('name').filter((value): value is string => typeof value === 'string' && value !== '');
  return [...new Set(names)];
}
