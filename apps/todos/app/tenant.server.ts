import { isSiloError, type InstanceHandle } from '@silo/fleet';
import { data, type MiddlewareFunction } from 'react-router';
import { loadViewer } from './auth.server';
import { fleetContext, tenantContext, viewerContext } from './context.server';
import { appConfig } from './config.server';
import { STORAGE_FULL_OPEN, STORAGE_FULL_STATUS, isStorageFull } from './storage.server';
import { TenantGate } from './tenant-gate.server';

let gate: TenantGate | undefined;
function tenantGate(): TenantGate {
  const config = appConfig();
  gate ??= new TenantGate(config.tenantMaxInFlight, config.tenantMaxQueued);
  return gate;
}

/**
 * Resolves /t/<name> once per request: catalog lookup and a handle from the fleet's LRU,
 * released when the response is ready (loaders and actions have finished by then; streamed
 * downloads read a staged snapshot, not the handle). Also looks up the session in the
 * instance's own database.
 */
export const tenantMiddleware: MiddlewareFunction<Response> = async ({ params, request, context }, next) => {
  const name = params['name'] ?? '';
  const fleet = context.get(fleetContext);
  let handle: InstanceHandle;
  try {
    handle = await fleet.open(name);
  } catch (error) {
    throw openErrorResponse(error);
  }
  try {
    fleet.touch(name);
    context.set(tenantContext, { name, instance: handle.instance, db: handle.db, fleet });
    const viewer = await loadViewer(request, name, handle.db);
    context.set(viewerContext, viewer);
    // Signed-in requests take turns per tenant (the heavy ones: lists, writes, downloads).
    // Anonymous ones (sign-in, invites) do not, so a stranger cannot hold a list's turns
    // with slow requests; they have their own rate limits.
    if (!viewer) return await next();
    const leave = await tenantGate().enter(name);
    if (!leave) throw data({ kind: 'busy', message: 'This TODO list is handling many requests at once. Try again in a moment.' }, { status: 503 });
    try {
      return await next();
    } finally {
      leave();
    }
  } finally {
    handle.release();
  }
};

function openErrorResponse(error: unknown): unknown {
  if (isSiloError(error, 'INSTANCE_NOT_FOUND') || isSiloError(error, 'INVALID_NAME')) {
    return data({ kind: 'not-found' }, { status: 404 });
  }
  // A move to another engine (silo move) takes an instance out of service for a moment.
  if (isSiloError(error, 'INSTANCE_NOT_READY') && error.details.state === 'moving') {
    return data({ kind: 'maintenance' }, { status: 503 });
  }
  if (isSiloError(error, 'INSTANCE_NOT_READY')) {
    const provisioning = error.details.state === 'provisioning';
    return data(
      provisioning ? { kind: 'provisioning' } : { kind: 'unavailable', message: 'This TODO list could not be set up. Contact support.' },
      // Retry-After is added to every 503 by the security middleware: headers of data thrown
      // from middleware do not reach the rendered error page.
      { status: 503 },
    );
  }
  if (isSiloError(error, 'SCHEMA_BEHIND')) {
    return data({ kind: 'maintenance' }, { status: 503 });
  }
  // A list not opened since the server started cannot be opened on a full disk (SQLite
  // creates its shared-memory file): a 507 page, not a crash.
  if (isStorageFull(error)) {
    return data({ message: STORAGE_FULL_OPEN }, { status: STORAGE_FULL_STATUS, statusText: 'Insufficient Storage' });
  }
  return error;
}
