import { createElement, Suspense } from 'react';
import { Await, Outlet, Scripts, createRequestHandler, useLoaderData, type ServerBuild } from 'react-router';
import { describe, expect, it } from 'vitest';
import { handleDocumentRequest, handleError, loadContextFor, streamTimeout } from '../src/react-router';

/** A one-route build, as `react-router build` would make it, around a loader. */
function buildWith(loader: () => unknown, Page: () => React.ReactNode): ServerBuild {
  const Root = () => createElement('html', null, createElement('body', null, createElement(Outlet), createElement(Scripts)));
  const route = (id: string, parentId?: string) => ({ id, parentId, hasAction: false, hasLoader: id === 'page', hasClientAction: false, hasClientLoader: false, hasClientMiddleware: false, hasErrorBoundary: false, module: `/${id}.js`, imports: [], css: [] });
  return {
    entry: { module: { default: handleDocumentRequest, handleError, streamTimeout } },
    routes: {
      root: { id: 'root', path: '', module: { default: Root } },
      page: { id: 'page', parentId: 'root', index: true, module: { default: Page, loader } },
    },
    assets: { entry: { module: '/entry.js', imports: [] }, routes: { root: { ...route('root'), path: '' }, page: { ...route('page', 'root'), index: true } }, url: '/manifest.js', version: '1' },
    publicPath: '/',
    assetsBuildDirectory: '',
    future: {},
    ssr: true,
    isSpaMode: false,
    prerender: [],
    routeDiscovery: { mode: 'lazy', manifestPath: '/__manifest' },
  } as unknown as ServerBuild;
}

const get = (build: ServerBuild, userAgent = 'Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0') =>
  createRequestHandler(build, 'production')(new Request('http://localhost/', { headers: { 'user-agent': userAgent } }), loadContextFor({ nonce: 'test-nonce', clientAddress: '127.0.0.1' }));

describe('the document renderer', () => {
  it('renders the page with the response nonce on every script', async () => {
    const response = await get(buildWith(() => ({ title: 'Twenty todos' }), () => createElement('h1', null, (useLoaderData() as { title: string }).title)));
    const body = await response.text();
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(body.match(/<script/g)?.length).toBe(body.match(/<script nonce="test-nonce"/g)?.length);
    expect(body).toMatch(/^<!DOCTYPE html><html><head>.*<\/head><body><h1>Twenty todos<\/h1>/);
    expect(body).toContain('nonce="test-nonce"');
  });

  it('streams a page still waiting for deferred data, and sends it whole to a crawler', async () => {
    // Deferred data that arrives only when the test says so: no timing in the assertions.
    let arrive = (_value: string): void => undefined;
    const build = buildWith(
      () => ({ slow: new Promise<string>((resolve) => (arrive = resolve)) }),
      () => createElement(Suspense, { fallback: createElement('p', null, 'loading') }, createElement(Await<Promise<string>>, { resolve: (useLoaderData() as { slow: Promise<string> }).slow, children: (value: string) => createElement('p', null, value) })),
    );
    // A browser gets the response (its shell) while the data is still outstanding.
    const browser = await get(build);
    arrive('arrived late');
    expect(await browser.text()).toContain('arrived late');

    let answered = false;
    const crawler = get(build, 'Googlebot/2.1 (+http://www.google.com/bot.html)').then((response) => {
      answered = true;
      return response;
    });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(answered).toBe(false);
    arrive('arrived late');
    const whole = await (await crawler).text();
    expect(whole).toContain('arrived late');
    expect(whole).not.toContain('loading');
  });
});
