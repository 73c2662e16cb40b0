import type { Fleet } from '@silo/fleet';
import { createContext } from 'react-router';

/** The instance this request is for: @silo/react-router's tenant middleware sets it. */
export { tenantContext, type Tenant } from '@silo/react-router';

/** The process's fleet, set for every request by the root middleware (fleet.server.ts). */
export const fleetContext = createContext<Fleet>();

/** The signed-in user of this instance, looked up in the instance's own database. */
export interface Viewer {
  readonly userId: number;
  readonly email: string;
  readonly role: 'owner' | 'member';
  /** The stored (hashed) session id: CSRF tokens are bound to it. */
  readonly sessionId: string;
  readonly csrf: string;
}

export const viewerContext = createContext<Viewer | null>(null);
