import { clientAddressOf, fleetReadiness, readinessResponse } from '@silo/web';
import { fleetContext } from '../lib/fleet.server';
import type { Route } from './+types/readyz';

/** The readiness probe, as the TODO app's, plus the backup scheduler's lag (@silo/web). */
export function loader({ context, request }: Route.LoaderArgs) {
  return readinessResponse(() => fleetReadiness(context.get(fleetContext), { backups: true }), clientAddressOf(request));
}
