import { fleetContext } from '../lib/fleet.server';
import { currentAdmin } from '../lib/http.server';
import { isMultipartForm } from '../lib/auth.server';
import { importOnce } from './instances/act.server';
import type { InstancesActionResult } from './instances/forms';
import type { Route } from './+types/instances-import';

/**
 * The import form's upload when the page runs its script: the same import as the form's own
 * action, answered as JSON, so the page can send the file with XMLHttpRequest and show how
 * much of it has gone (fetch cannot report an upload's progress). `{ location }` on success
 * (for a repeat of the form's one-time token too, as the form's action answers it); the form's
 * error otherwise, with its status.
 */
export async function action({ request, context }: Route.ActionArgs) {
  if (!isMultipartForm(request)) return Response.json(refusal('INVALID_INPUT', 'Send the import form as multipart/form-data.'), { status: 415 });
  const fleet = context.get(fleetContext);
  const admin = currentAdmin(context);
  try {
    const outcome = await importOnce(request, context, fleet, admin);
    return outcome.ok ? Response.json({ location: outcome.location }) : Response.json(outcome.refusal, { status: 400 });
  } catch (error) {
    // The upload reader refuses a body with a Response (400, 403, 413): the same words, as the form's error.
    if (error instanceof Response && error.status < 500) return Response.json(refusal(error.status === 413 ? 'TOO_LARGE' : 'INVALID_INPUT', await error.text()), { status: error.status });
    throw error;
  }
}

function refusal(code: string, error: string): InstancesActionResult {
  return { intent: 'import', code, error, values: {} };
}

/** Only the page's script posts here: any other method gets a plain 405, as the other POST-only addresses do. */
export function loader() {
  return new Response('POST the import form (multipart/form-data) to this address.', { status: 405, headers: { Allow: 'POST' } });
}
