import { matchRoutes, type RouteObject } from 'react-router';

export interface RouteMatch {
  /** The matched route's pattern (`/t/:name/settings`): a bounded label for logs and metrics. */
  readonly pattern: string;
  /** The `:name` parameter, when the route names an instance. */
  readonly instance: string | undefined;
}

const NO_MATCH: RouteMatch = { pattern: 'unmatched', instance: undefined };
const MALFORMED: RouteMatch = { pattern: 'malformed', instance: undefined };

/** What an instance name can look like: anything else from the URL is not logged as one. */
const NAME_LIKE = /^[a-z0-9][a-z0-9-]{0,62}$/;

/**
 * How many pathnames' matches are remembered, and the longest remembered: `matchRoutes`
 * flattens and ranks the whole route tree on every call (3% of the TODO list page's CPU), and
 * a server sees the same few thousand pathnames over and over. Both bounds keep a client that
 * sends endless distinct paths from growing the memory: it only makes its own requests miss.
 */
const REMEMBERED_PATHS = 4_096;
const REMEMBERED_PATH_LENGTH = 256;

/**
 * Names a request by the app's route pattern, never its URL: a URL can carry an invite token
 * or a tenant's name in a place no metric label may hold. Built once from the build's route
 * manifest; each new pathname is React Router's own matching over a few dozen routes.
 */
export function routeMatcher(build: { readonly routes: Manifest }): (pathname: string) => RouteMatch {
  const tree = routeTree(build.routes);
  const remembered = new Map<string, RouteMatch>();
  return (pathname) => {
    const known = remembered.get(pathname);
    if (known) return known;
    const found = matchOf(tree, pathname);
    if (pathname.length <= REMEMBERED_PATH_LENGTH) {
      // The oldest goes first (a Map iterates in insertion order).
      if (remembered.size >= REMEMBERED_PATHS) remembered.delete(remembered.keys().next().value as string);
      remembered.set(pathname, found);
    }
    return found;
  };
}

function matchOf(tree: RouteObject[], pathname: string): RouteMatch {
  // React Router warns about a path it cannot decode (one more log line per such request);
  // the listener has already answered it 400.
  try {
    decodeURI(pathname);
  } catch {
    return MALFORMED;
  }
  const matches = matchRoutes(tree, pathname);
  const last = matches?.[matches.length - 1];
  if (!matches || !last) return NO_MATCH;
  const pattern = `/${matches
    .map((match) => match.route.path ?? '')
    .filter((segment) => segment !== '')
    .join('/')}`;
  const name = last.params['name'];
  return { pattern, instance: name !== undefined && NAME_LIKE.test(name) ? name : undefined };
}

/** The part of a build's route manifest (ServerBuild['routes']) matching needs. */
export type Manifest = Readonly<Record<string, { id: string; parentId?: string | undefined; path?: string | undefined; index?: boolean | undefined; caseSensitive?: boolean | undefined } | undefined>>;

/** The build's routes as React Router's nested route objects (ids, paths, index flags). */
export function routeTree(manifest: Manifest): RouteObject[] {
  const childrenOf = (parentId: string | undefined): RouteObject[] =>
    Object.values(manifest)
      .filter((route) => route !== undefined && route.parentId === parentId)
      .map((route): RouteObject => {
        if (route?.index) return { id: route.id, index: true, caseSensitive: route.caseSensitive };
        return { id: route?.id, path: route?.path, caseSensitive: route?.caseSensitive, children: childrenOf(route?.id) };
      });
  return childrenOf(undefined);
}
