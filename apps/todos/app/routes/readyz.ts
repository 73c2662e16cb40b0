import { readinessResponse } from '@silo/web';
import { fleetContext } from '../context.server';
import type { Route } from './+types/readyz';

/** The readiness probe (@silo/web's readinessResponse over the fleet's readiness check). */
export function loader({ context }: Route.LoaderArgs) {
  return readinessResponse(() => context.get(fleetContext).readiness());
}
