import type { Fleet, InstanceHandle } from '@silo/fleet';
import type { MiddlewareFunction, RouterContext } from 'react-router';
import { releaseWhenDone } from './release-when-done';
import { tenantContext } from './tenant-context';
import { notFound, tenantErrorResponse } from './tenant-errors';
import { tenantNameOf, type TenantNameSource } from './tenant-name';

export interface TenantMiddlewareOptions {
  /** The process's fleet: a context a root middleware set, or a function returning it. */
  readonly fleet: RouterContext<Fleet> | (() => Fleet | Promise<Fleet>);
  /** Where the name is; default the route parameter `name` (`/t/:name`). */
  readonly name?: TenantNameSource;
  /**
   * The app's own answer for an error from opening the instance (a page for a full disk, its
   * own wording), tried before the built-in 404/503 mapping; undefined falls through to it.
   */
  readonly errorResponse?: (error: unknown) => unknown;
  /** Record the request as the instance's activity (`fleet.touch`); default true. */
  readonly touch?: boolean;
}

/**
 * Resolves the request's tenant once: a catalog lookup and a handle from the fleet's cache,
 * set as `tenantContext` for every middleware, loader and action below. The handle is released
 * when the response is done (see releaseWhenDone), when anything below throws, or when the
 * client goes away. A name that is not an instance is a 404; one that cannot be served now a 503.
 */
export function tenantMiddleware(options: TenantMiddlewareOptions): MiddlewareFunction<Response> {
  const source = options.name ?? { param: 'name' };
  const fleetOf = options.fleet;
  return async ({ request, params, context }, next) => {
    const name = tenantNameOf(source, request, params);
    if (name === undefined) throw notFound();
    const fleet = typeof fleetOf === 'function' ? await fleetOf() : context.get(fleetOf);
    let handle: InstanceHandle;
    try {
      handle = await fleet.open(name);
    } catch (error) {
      throw options.errorResponse?.(error) ?? tenantErrorResponse(error) ?? error;
    }
    let response: Response;
    try {
      if (options.touch ?? true) fleet.touch(name);
      context.set(tenantContext, { name, instance: handle.instance, db: handle.db, fleet });
      response = await next();
    } catch (error) {
      handle.release();
      throw error;
    }
    return releaseWhenDone(request, response, handle.release);
  };
}
