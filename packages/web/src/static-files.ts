import type { IncomingMessage, ServerResponse } from 'node:http';
import sirv from 'sirv';

export type ServeClientFile = (req: IncomingMessage, res: ServerResponse, allow?: (pathname: string) => boolean) => boolean;

/** Types sirv's table gives without a charset. */
const TEXT_TYPES: Readonly<Record<string, string>> = {
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
};

/**
 * Serves the files of an app's client build (React Router's build/client) with sirv: the build
 * is indexed once at start-up (a request is a map lookup, not a `stat`, and only files that
 * exist in the build can ever be named), ETags with 304s, and the `.br`/`.gz` siblings
 * `precompress` wrote for clients that accept them. Hashed bundles under /assets are cached
 * for a year as immutable; the rest for an hour. `allow` narrows what is public (the admin
 * console serves only its bundles before sign-in). Anything else is left to the app (false).
 */
export function clientFiles(clientDir: string): ServeClientFile {
  const serve = sirv(clientDir, {
    etag: true,
    gzip: true,
    brotli: true,
    extensions: [],
    dotfiles: false,
    setHeaders(res, pathname) {
      res.setHeader('Cache-Control', pathname.startsWith('/assets/') ? 'public, max-age=31536000, immutable' : 'public, max-age=3600');
      const type = TEXT_TYPES[pathname.slice(pathname.lastIndexOf('.'))];
      if (type) res.setHeader('Content-Type', type);
    },
  });
  return (req, res, allow = () => true) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return false;
    if (!allow(pathnameOf(req.url ?? '/'))) return false;
    let served = true;
    // sirv pipes a read stream it never listens to for errors: a file of the build removed since
    // start-up (a rebuild in place) would throw ENOENT out of the whole process. Its headers are
    // written by then, so the one answer left is to drop this response.
    const guard = (source: NodeJS.ReadableStream) => source.once('error', () => res.destroy());
    res.once('pipe', guard);
    // sirv's lookup is synchronous: `next` runs before it returns when the build has no such file.
    serve(req, res, () => {
      served = false;
    });
    if (!served) res.off('pipe', guard);
    return served;
  };
}

function pathnameOf(target: string): string {
  const end = target.search(/[?#]/);
  const raw = end === -1 ? target : target.slice(0, end);
  try {
    return decodeURI(raw);
  } catch {
    return raw;
  }
}
