import { validateName } from '@silo/fleet';
import { Link, data, redirect } from 'react-router';
import { actionForm } from '../action-form.server';
import { cookieIsSecure } from '../auth.server';
import { fleetContext } from '../context.server';
import { listExists, normalizeListName } from '../lists.server';
import { forgetList } from '../remembered-lists.server';
import { FindListForm } from '../find-list-form';
import type { Route } from './+types/find-list';

export function meta() {
  return [{ title: 'Sign in to an existing list · Silo TODOs' }];
}

/**
 * /sign-in?list=<name>: the landing page's "Sign in to an existing list" form is a GET form
 * to here, so it works without JavaScript; a known list goes on to its own sign-in page.
 */
export function loader({ context, request }: Route.LoaderArgs) {
  const query = new URL(request.url).searchParams;
  if (!query.has('list')) return { name: '', error: undefined };
  const name = normalizeListName(query.get('list'));
  let error: string | undefined;
  try {
    validateName(name);
  } catch {
    error = 'Enter the name of a list: lowercase letters, digits and hyphens, as in the address /t/<name>.';
  }
  if (!error && listExists(context.get(fleetContext), name)) throw redirect(`/t/${name}/sign-in`);
  error ??= `There is no list named “${name}”. Check the spelling, or ask a member of the list for its address.`;
  return data({ name: name.slice(0, 100), error }, { status: 404 });
}

/** "Forget these lists": removes the remembered lists from this browser. */
export async function action({ context, request }: Route.ActionArgs) {
  const form = await actionForm(context, request);
  if (form.get('intent') !== 'forget-lists') throw data({ message: 'Unknown action.' }, { status: 400 });
  throw redirect('/?forgotten=1', { headers: { 'Set-Cookie': await forgetList(request, null, cookieIsSecure(request)) } });
}

export default function FindList({ loaderData }: Route.ComponentProps) {
  return (
    <main className="page narrow">
      <section className="card" aria-labelledby="find-title">
        <h1 id="find-title">Sign in to an existing list</h1>
        <FindListForm defaultName={loaderData.name} error={loaderData.error} />
        <p className="muted">
          Or <Link to="/">create a new list</Link>.
        </p>
      </section>
    </main>
  );
}
