import { healthResponse } from '@silo/web';

/** The liveness probe: the process answers. No fleet, no sign-in (@silo/web). */
export function loader() {
  return healthResponse();
}
