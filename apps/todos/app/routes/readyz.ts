import type { Route } from './+types/readyz';
import { getFleet } from '../fleet.server';

/**
 * The readiness probe: 200 with any warnings (a nearly full disk), 503 when the catalog cannot
 * be read or the data disk is full (creates and sign-ups would fail). JSON, never cached, no
 * sign-in (probes do not have one) and no folder paths.
 */
export async function loader(_args: Route.LoaderArgs) {
  let body;
  try {
    body = (await getFleet()).readiness();
  } catch (error) {
    body = { ready: false, catalog: error instanceof Error ? error.message : String(error), storage: [], warnings: [] };
  }
  return Response.json({ status: body.ready ? 'ready' : 'not ready', ...body }, { status: body.ready ? 200 : 503, headers: { 'Cache-Control': 'no-store' } });
}
