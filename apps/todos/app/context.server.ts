import type { Fleet, InstanceInfo, TenantConnection } from '@silo/fleet';
import { createContext } from 'react-router';

/** The process's fleet, set for every request by the root middleware (fleet.server.ts). */
export const fleetContext = createContext<Fleet>();

/** The instance this request is for, resolved once by the tenant middleware. */
export interface Tenant {
  readonly name: string;
  readonly instance: InstanceInfo;
  readonly db: TenantConnection;
  /** The same fleet as `fleetContext`, beside the instance for the helpers that take a tenant. */
  readonly fleet: Fleet;
}

/** The signed-in user of this instance, looked up in the instance's own database. */
export interface Viewer {
  readonly userId: number;
  readonly email: string;
  readonly role: 'owner' | 'member';
  /** The stored (hashed) session id: CSRF tokens are bound to it. */
  readonly sessionId: string;
  readonly csrf: string;
}

/** No default: reading it outside the tenant routes is a programmer error and throws. */
export const tenantContext = createContext<Tenant>();
export const viewerContext = createContext<Viewer | null>(null);
