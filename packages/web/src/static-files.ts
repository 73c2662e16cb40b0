import { createReadStream, readdirSync, statSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';

const MIME: Readonly<Record<string, string>> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.woff2': 'font/woff2',
  '.map': 'application/json; charset=utf-8',
};

interface ClientFile {
  readonly file: string;
  readonly headers: Readonly<Record<string, string | number>>;
}

export type ServeClientFile = (req: IncomingMessage, res: ServerResponse, allow?: (pathname: string) => boolean) => boolean;

/**
 * Serves the files of an app's client build (React Router's build/client). The build is
 * immutable while the server runs, so it is indexed once: a request is a map lookup, not a
 * `stat` on the event loop (that stat was 2% of the list page's CPU), and only files that
 * exist in the build can ever be named — no path a request makes up reaches the disk.
 * `allow` narrows what is public (the admin console serves only its bundles before sign-in).
 * Hashed bundles under /assets are cached for a year.
 */
export function clientFiles(clientDir: string): ServeClientFile {
  const index = new Map<string, ClientFile>();
  for (const relative of listFiles(clientDir)) {
    const pathname = `/${relative.split(path.sep).join('/')}`;
    const file = path.join(clientDir, relative);
    index.set(pathname, {
      file,
      headers: {
        'Content-Type': MIME[path.extname(file)] ?? 'application/octet-stream',
        'Content-Length': statSync(file).size,
        'Cache-Control': pathname.startsWith('/assets/') ? 'public, max-age=31536000, immutable' : 'public, max-age=3600',
        'X-Content-Type-Options': 'nosniff',
      },
    });
  }
  return (req, res, allow = () => true) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return false;
    const target = req.url ?? '/';
    const end = target.search(/[?#]/);
    let pathname: string;
    try {
      pathname = decodeURIComponent(end === -1 ? target : target.slice(0, end));
    } catch {
      return false;
    }
    const entry = index.get(pathname);
    if (!entry || !allow(pathname)) return false;
    res.writeHead(200, entry.headers);
    if (req.method === 'HEAD') res.end();
    else createReadStream(entry.file).pipe(res);
    return true;
  };
}

function listFiles(dir: string): string[] {
  try {
    return readdirSync(dir, { recursive: true, withFileTypes: true })
      .filter((entry) => entry.isFile())
      .map((entry) => path.relative(dir, path.join(entry.parentPath, entry.name)));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}
