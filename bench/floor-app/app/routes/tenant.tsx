import { Form, Link, NavLink, Outlet, useLoaderData, type LoaderFunctionArgs } from 'react-router';

/** The same data as the TODO app's tenant layout, without sessions or a database. */
export function loader({ params }: LoaderFunctionArgs) {
  const name = params['name'] ?? '';
  return { name, displayName: name, viewer: { email: 'owner@example.com', role: 'owner' }, csrf: 'TTAkJwslxxeqqtlVoSQ27mgwOkYFAXSH3TIgByqxLUs' };
}

export default function TenantLayout() {
  const { name, displayName, viewer, csrf } = useLoaderData<typeof loader>();
  return (
    <>
      <header className="topbar">
        <Link to={`/t/${name}`} className="brand">
          {displayName}
        </Link>
        <nav aria-label="Account">
          <NavLink to={`/t/${name}/settings`}>Settings</NavLink>
          <span className="who" title="Signed in as">
            {viewer.email}
          </span>
          <Form method="post" action={`/t/${name}/sign-out`} className="inline">
            <input type="hidden" name="csrf" value={csrf} />
            <button type="submit" className="link-button">
              Sign out
            </button>
          </Form>
        </nav>
      </header>
      <Outlet />
    </>
  );
}
