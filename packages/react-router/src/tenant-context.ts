import type { Fleet, InstanceInfo, TenantConnection } from '@silo/fleet';
import { createContext } from 'react-router';

/** The instance a request is for, resolved once by `tenantMiddleware`. */
export interface Tenant {
  readonly name: string;
  /** The catalog row as it was when the request started. */
  readonly instance: InstanceInfo;
  /** The instance's own database; valid until the response is done. */
  readonly db: TenantConnection;
  /** The fleet it was opened from, for helpers that take a tenant. */
  readonly fleet: Fleet;
}

/** No default: reading it outside the routes under `tenantMiddleware` is a programmer error and throws. */
export const tenantContext = createContext<Tenant>();
