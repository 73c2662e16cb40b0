import { RouterContextProvider, createContext } from 'react-router';
import { describe, expect, it } from 'vitest';
import { resourceMiddleware } from '../src/react-router';
import { CLIENT_ADDRESS_HEADER } from '../src/request-listener';
import { isLoopbackAddress } from '../src/readiness';

const key = createContext<string>();

/** `client`: the address the request listener found (after trusted proxies). */
function run(url: string, open: () => Promise<string>, client = '127.0.0.1') {
  const context = new RouterContextProvider();
  const middleware = resourceMiddleware(key, open);
  const next = async () => new Response(`saw ${context.get(key)}`);
  const request = new Request(url, { headers: { [CLIENT_ADDRESS_HEADER]: client } });
  return middleware({ request, context, params: {}, unstable_pattern: '', pattern: '' } as unknown as Parameters<typeof middleware>[0], next);
}

describe('resourceMiddleware', () => {
  it('hands the opened resource to everything below it', async () => {
    const response = (await run('http://127.0.0.1/anything', async () => 'the fleet')) as Response;
    expect(await response.text()).toBe('saw the fleet');
  });

  it('answers the readiness probe with 503 and the reason when the resource cannot be opened', async () => {
    const response = (await run('http://127.0.0.1/readyz', async () => Promise.reject(new Error('catalog is locked')))) as Response;
    expect(response.status).toBe(503);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(await response.json()).toMatchObject({ status: 'not ready', ready: false, catalog: 'catalog is locked' });
  });

  it('gives the reasons to a client on this machine only: from elsewhere, the status alone', async () => {
    const failing = async () => Promise.reject(new Error('catalog is locked'));
    const remote = (await run('http://127.0.0.1/readyz', failing, '203.0.113.7')) as Response;
    expect(remote.status).toBe(503);
    expect(await remote.json()).toEqual({ status: 'not ready', ready: false });
    for (const local of ['127.0.0.1', '127.8.9.10', '::1', '::ffff:127.0.0.1']) expect(isLoopbackAddress(local), local).toBe(true);
    for (const other of ['10.0.0.1', '::ffff:10.0.0.1', '::2', 'unknown', '1127.0.0.1']) expect(isLoopbackAddress(other), other).toBe(false);
  });

  it('lets every other request fail as before', async () => {
    await expect(run('http://127.0.0.1/t/acme', async () => Promise.reject(new Error('catalog is locked')))).rejects.toThrow('catalog is locked');
  });
});
