import { isSiloError } from '@silo/fleet';
import { data } from 'react-router';

/** What an error page receives (`error.data`) when a tenant cannot be served. */
export interface TenantUnavailable {
  readonly kind: 'not-found' | 'provisioning' | 'maintenance' | 'unavailable';
  readonly message?: string;
}

/**
 * The response for an error from opening a tenant, or undefined for an error that is not about
 * the tenant (left to propagate). 404 for a name that is not an instance (or cannot be one);
 * 503 for one that is being set up, moved or migrated, or that failed to provision.
 */
export function tenantErrorResponse(error: unknown): ReturnType<typeof data<TenantUnavailable>> | undefined {
  if (isSiloError(error, 'INSTANCE_NOT_FOUND') || isSiloError(error, 'INVALID_NAME')) return notFound();
  if (isSiloError(error, 'INSTANCE_NOT_READY')) {
    // A move to another engine takes an instance out of service for a moment.
    if (error.details.state === 'moving') return unavailable({ kind: 'maintenance' });
    if (error.details.state === 'provisioning') return unavailable({ kind: 'provisioning' });
    return unavailable({ kind: 'unavailable', message: 'This could not be set up. Contact support.' });
  }
  // The code expects a newer schema than the instance has until `silo migrate` reaches it.
  if (isSiloError(error, 'SCHEMA_BEHIND')) return unavailable({ kind: 'maintenance' });
  return undefined;
}

export function notFound(): ReturnType<typeof data<TenantUnavailable>> {
  return data<TenantUnavailable>({ kind: 'not-found' }, { status: 404 });
}

function unavailable(body: TenantUnavailable): ReturnType<typeof data<TenantUnavailable>> {
  return data(body, { status: 503 });
}
