import { SiloError, type Fleet, type InstanceHandle } from '@silo/fleet';
import { RouterContextProvider, createStaticHandler, isRouteErrorResponse, type MiddlewareFunction } from 'react-router';
import { beforeEach, describe, expect, it } from 'vitest';
import { tempFleet } from '../../fleet/test/helpers';
import { subdomainName, tenantContext, tenantErrorResponse, tenantMiddleware, type TenantMiddlewareOptions } from '../src/index';

let fleet: Fleet;
/** Handles the middleware opened and not yet released, counted around the real fleet's. */
let held: number;

/** The real fleet, with `open` counting the handles it lends and their releases. */
function counting(real: Fleet): Fleet {
  return new Proxy(real, {
    get(target, key) {
      if (key !== 'open') {
        const value: unknown = Reflect.get(target, key, target);
        // The fleet's methods use private fields: they must run on the fleet, not the proxy.
        return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
      }
      return async (name: string): Promise<InstanceHandle> => {
        const handle = await target.open(name);
        held += 1;
        let released = false;
        const release = (): void => {
          if (!released) held -= 1;
          released = true;
          handle.release();
        };
        return { ...handle, release, [Symbol.dispose]: release };
      };
    },
  });
}

beforeEach(async () => {
  ({ fleet } = await tempFleet({ checkPermissionsOnOpen: false }));
  await fleet.create('acme', { jurisdiction: 'eu' });
  held = 0;
});

/** A React Router handler with the middleware on `path` and a resource route below it. */
async function serve(request: Request, options: Partial<TenantMiddlewareOptions> & { path?: string; loader?: (tenant: { name: string; rows: number }) => Response } = {}): Promise<Response> {
  const counted = counting(fleet);
  // Framework mode types `next()` as returning the Response; the data-mode route object below
  // (the same runtime, as the framework's server build uses it) types it as unknown.
  const middleware = tenantMiddleware({ fleet: () => counted, ...options }) as unknown as MiddlewareFunction;
  const handler = createStaticHandler([
    {
      id: 'tenant',
      path: options.path ?? '/t/:name',
      middleware: [middleware],
      children: [
        {
          id: 'page',
          path: 'page',
          loader: async ({ context }) => {
            const tenant = context.get(tenantContext);
            const result = await tenant.db.execute('SELECT count(*) AS n FROM sqlite_master');
            const rows = Number(result.rows[0]?.['n']);
            if (options.loader) return options.loader({ name: tenant.name, rows });
            return new Response(`${tenant.name}: ${tenant.instance.state}`);
          },
        },
      ],
    },
  ]);
  const context = new RouterContextProvider();
  return (await handler.queryRoute(request, { requestContext: context, generateMiddlewareResponse: (queryRoute) => queryRoute(request) })) as Response;
}

/** What a thrown `data()` or error turned into: the status and body of the error response. */
async function failure(promise: Promise<Response>): Promise<{ status: number; data: unknown }> {
  try {
    const response = await promise;
    return { status: response.status, data: await response.json() };
  } catch (error) {
    if (isRouteErrorResponse(error)) return { status: error.status, data: error.data };
    if (typeof error === 'object' && error !== null && 'init' in error && 'data' in error) {
      const thrown = error as { init: { status: number } | null; data: unknown };
      return { status: thrown.init?.status ?? 200, data: thrown.data };
    }
    throw error;
  }
}

describe('tenantMiddleware on a React Router handler', () => {
  it('resolves /t/:name into tenantContext and releases the handle once the body is read', async () => {
    const response = await serve(new Request('http://app.test/t/acme/page'));
    expect(response.status).toBe(200);
    expect(held).toBe(1);
    expect(await response.text()).toBe('acme: ready');
    expect(held).toBe(0);
  });

  it('resolves a subdomain of the configured base host', async () => {
    const options = { path: '/', name: { subdomainOf: 'example.com:8080' } };
    expect(await (await serve(new Request('http://acme.example.com:8080/page'), options)).text()).toBe('acme: ready');
    expect(await failure(serve(new Request('http://example.com/page'), options))).toEqual({ status: 404, data: { kind: 'not-found' } });
    expect(await failure(serve(new Request('http://acme.other.com/page'), options))).toEqual({ status: 404, data: { kind: 'not-found' } });
    expect(held).toBe(0);
  });

  it('answers 404 for a name that is no instance, and opens nothing', async () => {
    expect(await failure(serve(new Request('http://app.test/t/nobody/page')))).toEqual({ status: 404, data: { kind: 'not-found' } });
    expect(await failure(serve(new Request('http://app.test/t/NOT%20A%20NAME/page')))).toEqual({ status: 404, data: { kind: 'not-found' } });
    expect(held).toBe(0);
  });

  it("tries the app's own error response first", async () => {
    const errorResponse = (error: unknown): unknown => (error instanceof SiloError ? new Response('gone', { status: 410 }) : undefined);
    expect((await serve(new Request('http://app.test/t/nobody/page'), { errorResponse })).status).toBe(410);
  });

  it('releases the handle when a loader throws', async () => {
    const loader = (): Response => {
      throw new Error('the loader failed');
    };
    await expect(serve(new Request('http://app.test/t/acme/page'), { loader })).rejects.toThrow('the loader failed');
    expect(held).toBe(0);
  });

  it('releases the handle when the client goes away before reading the body', async () => {
    const client = new AbortController();
    const response = await serve(new Request('http://app.test/t/acme/page', { signal: client.signal }));
    expect(held).toBe(1);
    client.abort();
    expect(held).toBe(0);
    expect(response.status).toBe(200);
  });

  it('releases the handle when the body is cancelled, and at once for HEAD', async () => {
    const response = await serve(new Request('http://app.test/t/acme/page'));
    await response.body?.cancel();
    expect(held).toBe(0);
    await serve(new Request('http://app.test/t/acme/page', { method: 'HEAD' }));
    expect(held).toBe(0);
  });

  it('keeps the handle for a streamed body until its last chunk', async () => {
    let finish: () => void = () => undefined;
    const streamed = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('first '));
        finish = () => {
          controller.enqueue(new TextEncoder().encode('last'));
          controller.close();
        };
      },
    });
    const response = await serve(new Request('http://app.test/t/acme/page'), { loader: () => new Response(streamed) });
    const body = response.body;
    if (!body) throw new Error('the response has no body');
    const reader = body.getReader();
    expect(new TextDecoder().decode((await reader.read()).value)).toBe('first ');
    expect(held).toBe(1);
    finish();
    await reader.read();
    expect((await reader.read()).done).toBe(true);
    expect(held).toBe(0);
  });
});

describe('tenantErrorResponse', () => {
  const name = 'acme';
  const cases: [Error, number, unknown][] = [
    [new SiloError('INSTANCE_NOT_FOUND', 'no', { details: { name } }), 404, { kind: 'not-found' }],
    [new SiloError('INVALID_NAME', 'no'), 404, { kind: 'not-found' }],
    [new SiloError('INSTANCE_NOT_READY', 'wait', { details: { name, state: 'provisioning' } }), 503, { kind: 'provisioning' }],
    [new SiloError('INSTANCE_NOT_READY', 'wait', { details: { name, state: 'moving' } }), 503, { kind: 'maintenance' }],
    [new SiloError('INSTANCE_NOT_READY', 'broken', { details: { name, state: 'failed' } }), 503, { kind: 'unavailable', message: expect.any(String) }],
    [new SiloError('SCHEMA_BEHIND', 'migrate', { details: { name, version: 1, expected: 2 } }), 503, { kind: 'maintenance' }],
  ];

  it.each(cases)('maps %s', (error, status, data) => {
    expect(tenantErrorResponse(error)).toMatchObject({ init: { status }, data });
  });

  it('leaves other errors alone', () => {
    expect(tenantErrorResponse(new SiloError('DISK_FULL', 'full', { details: { dir: '/data', freeBytes: 0, totalBytes: 1 } }))).toBeUndefined();
    expect(tenantErrorResponse(new Error('boom'))).toBeUndefined();
  });
});

describe('subdomainName', () => {
  it.each([
    ['acme.example.com', 'example.com', 'acme'],
    ['ACME.Example.com', 'example.com', 'acme'],
    ['acme.example.com.', 'example.com', 'acme'],
    ['acme.example.com', 'Example.com:3000', 'acme'],
    ['example.com', 'example.com', undefined],
    ['a.b.example.com', 'example.com', undefined],
    ['acme.badexample.com', 'example.com', undefined],
    ['acmeexample.com', 'example.com', undefined],
    ['acme.example.com', '', undefined],
  ])('%s under %s is %s', (host, base, expected) => {
    expect(subdomainName(host, base)).toBe(expected);
  });
});
