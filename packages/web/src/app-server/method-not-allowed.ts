import { matchRoutes, type RouteObject } from 'react-router';
import { routeTree, type Manifest } from './route-pattern';

/** A route of the server build, with what its module exports (ServerBuild['routes']). */
type ServerRoutes = Readonly<
  Record<string, (NonNullable<Manifest[string]> & { readonly module: { readonly action?: unknown; readonly default?: unknown } }) | undefined>
>;

/** What React Router runs on a route with an action: its loader and its action. */
const WITH_ACTION = 'GET, HEAD, POST, PUT, PATCH, DELETE';
const LOADER_ONLY = 'GET, HEAD';

/**
 * Completes React Router's 405s. A POST (PUT, PATCH, DELETE, or a method it does not know) to
 * a route without an action is answered 405, but without the `Allow` header RFC 9110 §15.5.6
 * requires of one, and on a resource route (a download) with `{"message":"Unexpected Server
 * Error"}`, which tells the client nothing true. This adds `Allow` from the route that would
 * have run the action, and gives a resource route's 405 a message that says what happened.
 * Every other response passes untouched: only a 405 is looked at.
 */
export function completeMethodNotAllowed(build: { readonly routes: ServerRoutes }): (request: Request, response: Response) => Response {
  const tree = routeTree(build.routes);
  return (request, response) => {
    if (response.status !== 405 || response.headers.has('Allow')) return response;
    const url = new URL(request.url);
    const single = url.pathname.endsWith('.data');
    const id = actionTargetId(tree, single ? dataRequestPath(url.pathname) : url.pathname, url.searchParams);
    const route = id === undefined ? undefined : build.routes[id];
    const allow = route?.module.action ? WITH_ACTION : LOADER_ONLY;
    const headers = new Headers(response.headers);
    headers.set('Allow', allow);
    if (route && !route.module.default && !single) {
      headers.set('Content-Type', 'application/json; charset=utf-8');
      headers.delete('Content-Length');
      const message = `This address does not take ${request.method} requests. It answers ${allow}.`;
      return new Response(JSON.stringify({ message }), { status: 405, headers });
    }
    return new Response(response.body, { status: 405, statusText: response.statusText, headers });
  };
}

/** The page a single-fetch request (`/t/a.data`, `/_.data`) is about, as React Router reads it. */
function dataRequestPath(pathname: string): string {
  return pathname.endsWith('/_.data') ? pathname.slice(0, -'_.data'.length) : pathname.slice(0, -'.data'.length);
}

/**
 * The route whose action a mutation runs, by React Router's rule (getTargetMatch): the index
 * route only when the URL says `?index`, else the deepest route that adds to the path.
 */
function actionTargetId(tree: RouteObject[], pathname: string, search: URLSearchParams): string | undefined {
  // The request listener has answered a path that does not decode (400) before React Router ran.
  const matches = matchRoutes(tree, pathname);
  const last = matches?.[matches.length - 1];
  if (!matches || !last) return undefined;
  if (last.route.index && search.getAll('index').includes('')) return last.route.id;
  const contributing = matches.filter((match, index) => index === 0 || (match.route.path !== undefined && match.route.path.length > 0));
  return contributing[contributing.length - 1]?.route.id;
}
