import { RouterContextProvider, createContext } from 'react-router';
import { describe, expect, it } from 'vitest';
import { resourceMiddleware } from '../src/react-router';

const key = createContext<string>();

function run(url: string, open: () => Promise<string>) {
  const context = new RouterContextProvider();
  const middleware = resourceMiddleware(key, open);
  const next = async () => new Response(`saw ${context.get(key)}`);
  return middleware({ request: new Request(url), context, params: {}, unstable_pattern: '', pattern: '' } as unknown as Parameters<typeof middleware>[0], next);
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

  it('lets every other request fail as before', async () => {
    await expect(run('http://127.0.0.1/t/acme', async () => Promise.reject(new Error('catalog is locked')))).rejects.toThrow('catalog is locked');
  });
});
