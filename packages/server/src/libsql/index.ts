import type { Fleet } from '@silo/fleet';

/**
 * A stand-in so `createServer` compiles before the libSQL (Hrana) endpoint lands: the helper
 * building that endpoint overwrites this file with the real handler, keeping this signature.
 */
export interface LibsqlOptions {
  tokenSecretDir: string;
}

/** Answers requests under /db/; undefined means the request is not the endpoint's. */
export function libsqlHandler(fleet: Fleet, options: LibsqlOptions): (request: Request) => Promise<Response | undefined> {
  void fleet;
  void options;
  return (request) =>
    Promise.resolve(
      new URL(request.url).pathname.startsWith('/db/')
        ? Response.json({ error: { code: 'NOT_FOUND', message: 'The libSQL endpoint is not part of this build.' } }, { status: 404 })
        : undefined,
    );
}
