import { readinessResponse } from '@silo/web';
import { getFleet } from '../lib/fleet.server';

/** The readiness probe (@silo/web's readinessResponse over the fleet's readiness check). */
export function loader() {
  return readinessResponse(async () => (await getFleet()).readiness());
}
