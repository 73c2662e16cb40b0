/** The origin relative paths are resolved against; `.invalid` can never be a real host. */
const DUMMY_ORIGIN = 'http://next-path.invalid';

/**
 * One leading slash, then printable ASCII only. Browsers drop tab, CR and LF inside URLs (so
 * `/\t/evil` becomes `//evil`, another origin) and treat `\` like `/`; CR/LF in a Location
 * header is a 500 in Node. Non-ASCII look-alikes (`／`, `∕`) are refused rather than guessed
 * about: every path the apps build themselves is percent-encoded ASCII.
 */
const SAFE_RAW = /^\/(?![/\\])[\x21-\x5b\x5d-\x7e]*$/;

/** How many rounds of percent-decoding are followed before a value counts as hostile. */
const MAX_DECODE_ROUNDS = 3;

export interface SafeNextPathOptions {
  /** Where to go when the value is missing or not safe. */
  readonly fallback: string;
  /** A path prefix the target must stay within (`/t/acme` allows `/t/acme` and `/t/acme/...`). */
  readonly within?: string;
}

/**
 * A redirect target taken from a request (`?next=`, a hidden form field) if it is a path on
 * this origin (and within `options.within`), else `options.fallback`. Returns the path as the
 * URL parser normalises it (dot segments removed), so what is checked is what is followed.
 *
 * The value is checked raw and again after each round of percent-decoding: `/%2F/x` or
 * `/t/acme/%252e%252e/x` would be harmless here, but a later decoder (a proxy, a client-side
 * router) could turn them into `//x` or `..`, so they are refused too.
 */
export function safeNextPath(value: unknown, options: SafeNextPathOptions): string {
  if (typeof value !== 'string' || value.length > 2048) return options.fallback;
  const target = sameOriginPath(value, options.within);
  if (target === undefined) return options.fallback;
  // Query strings may carry any encoded text; only the path must stay safe when decoded.
  let current = value.split(/[?#]/, 1)[0] ?? '';
  for (let round = 0; ; round += 1) {
    let decoded: string;
    try {
      decoded = decodeURIComponent(current);
    } catch {
      return options.fallback;
    }
    if (decoded === current) return target;
    if (round === MAX_DECODE_ROUNDS) return options.fallback;
    if (sameOriginPath(decoded, options.within) === undefined) return options.fallback;
    current = decoded;
  }
}

function sameOriginPath(value: string, within: string | undefined): string | undefined {
  if (!SAFE_RAW.test(value)) return undefined;
  let url: URL;
  try {
    url = new URL(value, DUMMY_ORIGIN);
  } catch {
    return undefined;
  }
  if (url.origin !== DUMMY_ORIGIN) return undefined;
  if (within !== undefined && url.pathname !== within && !url.pathname.startsWith(`${within}/`)) return undefined;
  return url.pathname + url.search + url.hash;
}

/**
 * The address of the page a request is for, to come back to after signing in. A data request
 * (a client navigation or a revalidation) names the page it loads: `/_.data` is `/` and
 * `/t/acme/active.data` is `/t/acme/active`; React Router's own parameters (`_routes`, and
 * `index`, which picks an index route's action) are not part of the page's address.
 */
export function pageAddressOf(url: URL): string {
  const path = url.pathname.endsWith('/_.data') ? url.pathname.slice(0, -'_.data'.length) : url.pathname.replace(/\.data$/, '');
  const search = new URLSearchParams(url.search);
  search.delete('_routes');
  search.delete('index');
  const query = search.toString();
  return (path || '/') + (query ? `?${query}` : '');
}
