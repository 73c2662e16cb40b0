/**
 * Which instance a libSQL request is for, and the Hrana path within it.
 *
 * - `/db/<name>/v2/pipeline`: the instance in the path (a client URL ending in `/db/<name>/`).
 * - `/db/v2/pipeline`: the instance named by the token. @libsql/client resolves `v2/pipeline`
 *   against its URL, so `http://host/db/acme` (no trailing slash) loses `acme` on the way; the
 *   token says which instance it is for anyway.
 * - `<name>.<hostSuffix>/v2/pipeline`: the instance in the host name, as Turso's
 *   `libsql://<db>-<org>.turso.io`, for `libsql://acme.db.example.com` behind a TLS proxy.
 */
export interface LibsqlRoute {
  /** Undefined: the token names the instance. */
  readonly instance: string | undefined;
  /** The Hrana path: `v2`, `v2/pipeline`, `v3/cursor`… (empty for the instance's root). */
  readonly rest: string;
}

export const PATH_PREFIX = '/db/';

/** The paths a Hrana client asks for directly under its URL. */
const PROTOCOL_PATHS = new Set(['v1', 'v2', 'v3', 'v3-protobuf', 'v2/pipeline', 'v3/pipeline', 'v3/cursor', 'v3-protobuf/pipeline', 'v3-protobuf/cursor']);

export function routeOf(url: URL, host: string | null, hostSuffix: string | undefined): LibsqlRoute | undefined {
  const pathname = url.pathname;
  if (pathname.startsWith(PATH_PREFIX)) {
    const remainder = pathname.slice(PATH_PREFIX.length);
    if (PROTOCOL_PATHS.has(remainder)) return { instance: undefined, rest: remainder };
    const slash = remainder.indexOf('/');
    const segment = slash < 0 ? remainder : remainder.slice(0, slash);
    let instance: string;
    try {
      instance = decodeURIComponent(segment);
    } catch {
      return { instance: '', rest: '' };
    }
    return { instance, rest: slash < 0 ? '' : remainder.slice(slash + 1) };
  }
  const label = hostSuffix === undefined ? undefined : instanceOfHost(host, hostSuffix);
  return label === undefined ? undefined : { instance: label, rest: pathname.slice(1) };
}

/** `acme.db.example.com` under `db.example.com` is `acme`; one label only, port ignored. */
function instanceOfHost(host: string | null, suffix: string): string | undefined {
  if (host === null) return undefined;
  const name = host.replace(/:\d+$/, '').replace(/\.$/, '').toLowerCase();
  const tail = `.${suffix.toLowerCase().replace(/^\./, '')}`;
  if (!name.endsWith(tail)) return undefined;
  const label = name.slice(0, -tail.length);
  return label === '' || label.includes('.') ? undefined : label;
}
