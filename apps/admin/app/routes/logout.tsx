import { redirect } from 'react-router';
import type { Route } from './+types/logout';
import { signOut } from '../lib/auth.server';
import { fleetContext } from '../lib/fleet.server';

export function action({ request, context }: Route.ActionArgs) {
  return redirect('/login', { headers: { 'Set-Cookie': signOut(context.get(fleetContext), request) } });
}

export function loader() {
  return redirect('/');
}
