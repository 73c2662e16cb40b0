import { clientAddressOf, fleetReadiness, readinessResponse } from '@silo/web';
import { fleetContext } from '../context.server';
import type { Route } from './+types/readyz';

/** The readiness probe: the catalog is readable, the data folders take a write, no disk is full (@silo/web). */
export function loader({ context, request }: Route.LoaderArgs) {
  return readinessResponse(() => fleetReadiness(context.get(fleetContext)), clientAddressOf(request));
}
