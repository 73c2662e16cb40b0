import { isSiloError } from '@silo/fleet';
import { tenantMiddleware as siloTenantMiddleware } from '@silo/react-router';
import { createContext, data, type MiddlewareFunction, type RouterContextProvider } from 'react-router';
import { receiveForm } from './action-form.server';
import { loadViewer } from './auth.server';
import { fleetContext, tenantContext, viewerContext } from './context.server';
import { appConfig } from './config.server';
import { STORAGE_FULL_OPEN, STORAGE_FULL_STATUS, isStorageFull } from './storage.server';
import { TenantGate, type TenantTurn } from './tenant-gate.server';

let gate: TenantGate | undefined;
/** The list's turn this signed-in request holds (viewerMiddleware). */
const turnContext = createContext<TenantTurn | null>(null);
function tenantGate(): TenantGate {
  const config = appConfig();
  gate ??= new TenantGate(config.tenantMaxInFlight, config.tenantMaxQueued);
  return gate;
}

/**
 * Resolves /t/<name> once per request (@silo/react-router: catalog lookup, a handle from the
 * fleet's LRU released when the response is done, 404/503 for names it cannot serve), with
 * the TODO app's own pages for a full disk and a list that failed to be set up.
 */
export const tenantMiddleware = siloTenantMiddleware({ fleet: fleetContext, errorResponse: todoOpenErrorResponse });

/**
 * Under the tenant middleware: looks up the session in the instance's own database, and lets
 * signed-in requests take turns per tenant (the heavy ones: lists, writes, downloads).
 * Anonymous ones (sign-in, invites) do not, so a stranger cannot hold a list's turns with
 * slow requests; they have their own rate limits.
 */
export const viewerMiddleware: MiddlewareFunction<Response> = async ({ request, context }, next) => {
  const tenant = context.get(tenantContext);
  const viewer = await loadViewer(request, tenant.db);
  context.set(viewerContext, viewer);
  if (!viewer) return next();
  // A form's body is received (and read, for the action: actionForm) before the request takes
  // a turn: a body that stalls (a flaky connection, or a member on purpose) would otherwise hold
  // one of the list's few turns until the server's request timeout, and with them every other
  // member's pages and writes.
  await receiveForm(context, request);
  const turn = await tenantGate().enter(tenant.name);
  if (!turn) throw data({ kind: 'busy', message: 'This TODO list is handling many requests at once. Try again in a moment.' }, { status: 503 });
  context.set(turnContext, turn);
  try {
    return await next();
  } finally {
    // When the client went away, next() returns while the action may still run: a step it
    // runs alone keeps the turn until it ends (TenantTurn.leave).
    turn.leave();
  }
};

/**
 * Runs `work` with no other request of this list in progress (TenantTurn.alone): for writes
 * that run on the fleet's worker thread and hold the list's write lock meanwhile. Only in a
 * signed-in request, which holds one of the list's turns.
 */
export function aloneInTenant<T>(context: Readonly<RouterContextProvider>, work: () => Promise<T>): Promise<T> {
  const turn = context.get(turnContext);
  if (!turn) throw new Error('aloneInTenant() needs a signed-in request (one that holds a turn of its list).');
  return turn.alone(work);
}

function todoOpenErrorResponse(error: unknown): unknown {
  if (isSiloError(error, 'INSTANCE_NOT_READY') && error.details.state === 'failed') {
    // Retry-After is added to every 503 by the security middleware: headers of data thrown
    // from middleware do not reach the rendered error page.
    return data({ kind: 'unavailable', message: 'This TODO list could not be set up. Contact support.' }, { status: 503 });
  }
  // A list not opened since the server started cannot be opened on a full disk (SQLite
  // creates its shared-memory file): a 507 page, not a crash.
  if (isStorageFull(error)) {
    return data({ message: STORAGE_FULL_OPEN }, { status: STORAGE_FULL_STATUS, statusText: 'Insufficient Storage' });
  }
  return undefined;
}
