import type { Route } from './+types/palette-search';
import { fleetContext } from '../lib/fleet.server';

/** Instances the command palette offers per search: a few, the closest by name first. */
const LIMIT = 6;

/** GET ?q=: instances whose name or display name holds `q`, from the catalog (deleted ones too: they can be undeleted). */
export function loader({ request, context }: Route.LoaderArgs) {
  const fleet = context.get(fleetContext);
  const q = (new URL(request.url).searchParams.get('q') ?? '').trim().slice(0, 100);
  const page = fleet.list({ search: q || undefined, sort: 'name', limit: LIMIT });
  return Response.json(
    { instances: page.items.map((instance) => ({ name: instance.name, displayName: instance.displayName, state: instance.state })), total: page.total },
    { headers: { 'Cache-Control': 'no-store' } },
  );
}
