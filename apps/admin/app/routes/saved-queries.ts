import { data } from 'react-router';
import type { Route } from './+types/saved-queries';
import { fleetContext } from '../lib/fleet.server';
import { currentAdmin, smallForm } from '../lib/http.server';
import { savedQueryAction } from '../lib/saved-queries.server';

/** POST: save or delete one of the signed-in admin's saved queries (the console and fleet query panels). */
export async function action({ request, context }: Route.ActionArgs) {
  const outcome = savedQueryAction(context.get(fleetContext), currentAdmin(context), await smallForm(request));
  if (!outcome) return data({ error: 'Unknown action.' }, { status: 400 });
  return outcome.error ? data(outcome, { status: 400 }) : outcome;
}

export function loader() {
  return new Response('POST to this address.', { status: 405, headers: { Allow: 'POST' } });
}
