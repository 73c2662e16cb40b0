import { randomToken } from '@silo/web';
import { data, useNavigation } from 'react-router';
import { actionForm } from '../action-form.server';
import { clientIp, rateLimiters } from '../auth.server';
import { Field } from '../components/field';
import { OnceForm, SubmitButton, usePosting } from '@silo/web/once-form';
import { useFocusOnError } from '../focus-on-error';
import { createList, validateCreate, type CreateErrors, type CreateValues } from '../create.server';
import { fleetContext } from '../context.server';
import { FindListForm } from '../find-list-form';
import { listExists } from '../lists.server';
import { rememberedLists } from '../remembered-lists.server';
import { STORAGE_FULL_SIGN_UP, STORAGE_FULL_STATUS } from '../storage.server';
import type { Route } from './+types/home';

const JURISDICTION_LABELS: Record<string, string> = {
  eu: 'European Union',
  us: 'United States',
};

export function meta() {
  return [
    { title: 'Silo TODOs: a TODO list with its own database' },
    { name: 'description', content: 'Create a TODO list for your team. Every list gets its own database, kept in the jurisdiction you choose.' },
  ];
}

const LIST_NAME = /^[a-z0-9-]{1,63}$/;

export async function loader({ request, context }: Route.LoaderArgs) {
  const fleet = context.get(fleetContext);
  const query = new URL(request.url).searchParams;
  const deleted = query.get('deleted');
  const left = query.get('left');
  // Lists deleted since are left out: the cookie is only what this browser remembers.
  const yourLists = (await rememberedLists(request))
    .filter((name) => listExists(fleet, name))
    .map((name) => ({ name, displayName: fleet.find(name)?.displayName ?? name }));
  return {
    jurisdictions: fleet.regions.jurisdictions.map((id) => ({
      id,
      label: JURISDICTION_LABELS[id] ?? id.toUpperCase(),
      regions: fleet.regions.all.filter((region) => region.jurisdiction === id).map((region) => region.id),
    })),
    nonce: randomToken(),
    deleted: deleted && LIST_NAME.test(deleted) ? deleted : null,
    left: left && LIST_NAME.test(left) ? left : null,
    forgotten: query.has('forgotten'),
    yourLists,
  };
}

function text(form: FormData, name: string): string {
  const value = form.get(name);
  return typeof value === 'string' ? value : '';
}

export async function action({ request, context }: Route.ActionArgs) {
  const form = await actionForm(context, request);
  const fleet = context.get(fleetContext);
  const values: CreateValues = {
    name: text(form, 'name').trim().toLowerCase(),
    email: text(form, 'email').trim(),
    jurisdiction: text(form, 'jurisdiction'),
  };
  const password = text(form, 'password');
  const fail = (errors: CreateErrors, status = 400) => data({ errors, values }, { status });

  const errors = validateCreate(values, password, fleet.regions.jurisdictions);
  if (Object.keys(errors).length > 0) return fail(errors);
  const limit = await rateLimiters().create.consume(clientIp(request));
  if (!limit.allowed) {
    return fail({ form: `Too many lists were created from your network. Try again in ${Math.ceil(limit.retryAfterSec / 60)} minutes.` }, 429);
  }
  // Throws the redirect into the new list on success.
  const refused = await createList(fleet, request, values, password, text(form, 'nonce'));
  return fail(refused, refused.form === STORAGE_FULL_SIGN_UP ? STORAGE_FULL_STATUS : 409);
}

export default function Home({ loaderData, actionData }: Route.ComponentProps) {
  const navigation = useNavigation();
  // "Forget these lists" posts from this page too: only the create form's post is "Creating…".
  const creating = usePosting() && navigation.formData?.has('nonce') === true;
  const errors: CreateErrors = actionData?.errors ?? {};
  const values = actionData?.values;
  const chosen = values?.jurisdiction ?? loaderData.jurisdictions[0]?.id;
  // The first field in error takes the focus (with JavaScript here, without by autoFocus).
  const firstError = (['name', 'email', 'password', 'jurisdiction'] as const).find((key) => errors[key]);
  useFocusOnError(firstError ? `field-${firstError}` : undefined, actionData);
  /** A field's error, and the focus when it is the first one in error. */
  const errorOf = (key: 'name' | 'email' | 'password') => ({ error: errors[key], autoFocus: firstError === key });
  return (
    <main className="page landing">
      {/* One grid column: the introduction, then the ways back into existing lists. */}
      <div>
        <section className="intro">
          <p className="eyebrow">Silo TODOs</p>
          <h1>A shared TODO list with a database of its own</h1>
          <p>
            Create a list for your team in seconds. Every list lives in its own SQLite database, in the jurisdiction you
            choose. Invite your team, work without JavaScript if you like, and download all of your data at any time.
          </p>
          {loaderData.deleted && (
            <p className="notice" role="status">
              The list “{loaderData.deleted}” was deleted.
            </p>
          )}
          {loaderData.left && (
            <p className="notice" role="status">
              You left the list “{loaderData.left}”.
            </p>
          )}
          {loaderData.forgotten && (
            <p className="notice" role="status">
              This browser no longer remembers your lists.
            </p>
          )}
        </section>
        {loaderData.yourLists.length > 0 && (
          <section className="card" aria-labelledby="your-lists-title">
            <h2 id="your-lists-title">Your lists</h2>
            <p className="muted">The lists this browser signed in to. Each list has its own accounts.</p>
            <ul className="members your-lists">
              {loaderData.yourLists.map((list) => (
                <li key={list.name}>
                  <a href={`/t/${list.name}`}>{list.displayName}</a> <span className="muted">(/t/{list.name})</span>
                </li>
              ))}
            </ul>
            <OnceForm method="post" action="/sign-in">
              <input type="hidden" name="intent" value="forget-lists" />
              <SubmitButton className="link-button">Forget these lists on this browser</SubmitButton>
            </OnceForm>
          </section>
        )}
        <section className="card" aria-labelledby="find-title">
          <h2 id="find-title">Sign in to an existing list</h2>
          <FindListForm />
        </section>
      </div>
      <section className="card" aria-labelledby="create-title">
        <h2 id="create-title">Create your TODO list</h2>
        <OnceForm method="post" noValidate>
          <input type="hidden" name="nonce" value={loaderData.nonce} />
          {errors.form && (
            <p className="form-error" role="alert">
              {errors.form}
            </p>
          )}
          <Field
            label="List name"
            name="name"
            hint="Lowercase letters, digits and hyphens. Your list will be at /t/<name>."
            {...errorOf('name')}
            defaultValue={values?.name}
            autoComplete="off"
            autoCapitalize="none"
            spellCheck={false}
            required
            minLength={3}
            maxLength={63}
          />
          <Field
            label="Your email"
            name="email"
            type="email"
            autoComplete="email"
            {...errorOf('email')}
            defaultValue={values?.email}
            required
          />
          <Field
            label="Password"
            name="password"
            type="password"
            autoComplete="new-password"
            hint="At least 10 characters."
            {...errorOf('password')}
            required
          />
          <fieldset className="field" aria-describedby={errors.jurisdiction ? 'jurisdiction-hint field-jurisdiction-error' : 'jurisdiction-hint'}>
            <legend>Where your data is kept</legend>
            <p className="hint" id="jurisdiction-hint">
              Your list’s database and all of its backups stay in this jurisdiction, which decides the data-protection law
              that applies to it.
            </p>
            {loaderData.jurisdictions.map((jurisdiction, index) => (
              <label key={jurisdiction.id} className="choice">
                <input
                  type="radio"
                  name="jurisdiction"
                  value={jurisdiction.id}
                  defaultChecked={jurisdiction.id === chosen}
                  {...(index === 0 ? { id: 'field-jurisdiction', autoFocus: firstError === 'jurisdiction' } : {})}
                />
                {jurisdiction.label} <span className="muted">({jurisdiction.regions.join(', ')})</span>
              </label>
            ))}
            {errors.jurisdiction && (
              <p className="field-error" id="field-jurisdiction-error">
                {errors.jurisdiction}
              </p>
            )}
          </fieldset>
          <SubmitButton className="primary">{creating ? 'Creating…' : 'Create list'}</SubmitButton>
        </OnceForm>
      </section>
    </main>
  );
}
