/**
 * The React Router side of the request listener, shared by both apps' `app/entry.server.tsx`
 * and `server.ts` (a subpath of @silo/web, so the main entry stays free of React).
 */
import { PassThrough } from 'node:stream';
import { createReadableStreamFromReadable } from '@react-router/node';
import { isbot } from 'isbot';
import { createElement } from 'react';
import { renderToPipeableStream } from 'react-dom/server';
import {
  RouterContextProvider,
  ServerRouter,
  createContext,
  isRouteErrorResponse,
  type EntryContext,
  type HandleErrorFunction,
  type MiddlewareFunction,
  type RouterContext,
} from 'react-router';
import { RequestIdContext } from './error-page';
import { readinessResponse } from './readiness';
import { clientAddressOf, type RequestInfo } from './request-listener';

/**
 * What the listener decided about this request (CSP nonce, client address), for app code.
 * Null when the build runs under another server (`react-router dev`, react-router-serve in
 * the benchmarks): those send no CSP, so pages render without a nonce.
 */
export const requestInfoContext = createContext<RequestInfo | null>(null);

/** The load context React Router's handler gets for a request (middleware is on in both apps). */
export function loadContextFor(info: RequestInfo): RouterContextProvider {
  return new RouterContextProvider(new Map([[requestInfoContext, info]]));
}

/** How long a streamed document may wait for deferred data before it is cut off. */
export const streamTimeout = 5_000;

/**
 * React Router's default Node entry, plus the CSP nonce: `<ServerRouter nonce>` hands it to
 * `<Scripts>`, `<ScrollRestoration>` and the streamed data scripts, and React puts it on the
 * inline scripts it writes itself. The listener's CSP header carries the same nonce.
 */
export function handleDocumentRequest(
  request: Request,
  responseStatusCode: number,
  responseHeaders: Headers,
  routerContext: EntryContext,
  loadContext: RouterContextProvider,
): Promise<Response> | Response {
  if (request.method.toUpperCase() === 'HEAD') return new Response(null, { status: responseStatusCode, headers: responseHeaders });
  const info = loadContext.get(requestInfoContext);
  const nonce = info?.nonce;
  return new Promise((resolve, reject) => {
    let shellRendered = false;
    const userAgent = request.headers.get('user-agent');
    // Crawlers and SPA mode get the whole document at once.
    const waitForAll = (userAgent !== null && isbot(userAgent)) || routerContext.isSpaMode;
    let timeout: ReturnType<typeof setTimeout> | undefined = setTimeout(() => abort(), streamTimeout + 1_000);
    const ready = (): void => {
      shellRendered = true;
      const body = new PassThrough({
        final(callback) {
          clearTimeout(timeout);
          timeout = undefined;
          callback();
        },
      });
      responseHeaders.set('Content-Type', 'text/html; charset=utf-8');
      pipe(body);
      resolve(new Response(createReadableStreamFromReadable(body), { headers: responseHeaders, status: responseStatusCode }));
    };
    const { pipe, abort } = renderToPipeableStream(createElement(RequestIdContext.Provider, { value: info?.requestId }, createElement(ServerRouter, { context: routerContext, url: request.url, nonce })), {
      nonce,
      ...(waitForAll ? { onAllReady: ready } : { onShellReady: ready }),
      onShellError(error: unknown) {
        reject(error instanceof Error ? error : new Error(String(error)));
      },
      onError(error: unknown) {
        responseStatusCode = 500;
        // Errors inside the shell are logged by React Router (handleError); later ones here.
        if (shellRendered) console.error(error);
      },
    });
  });
}

/**
 * Plain errors React Router raises for a request it then answers with 400 itself: a POST
 * whose Origin does not match (its own CSRF check, before any middleware) or is not a URL,
 * and the same for a `.data` request ("Bad Request").
 */
function isClientMistake(error: unknown): error is Error {
  return error instanceof Error && (error.message === 'Bad Request' || error.message.endsWith('Aborting the action.'));
}

/**
 * React Router's error log. A client's mistake it answers itself before any route code runs
 * (405 for a POST to a route without an action, 400 for a cross-origin POST or a malformed
 * `.data` request, 404) is one line, not a stack trace per request: anyone can send those.
 * Aborted requests are not logged; anything else (a bug, a 5xx) is logged in full.
 */
export const handleError: HandleErrorFunction = (error, { request }) => {
  if (request.signal.aborted) return;
  let line: string | undefined;
  if (isRouteErrorResponse(error) && error.status < 500) {
    const detail = (error as { error?: unknown }).error;
    line = `${error.status}: ${detail instanceof Error ? detail.message : typeof error.data === 'string' ? error.data : error.statusText}`;
  } else if (isClientMistake(error)) {
    line = `400: ${error.message}`;
  }
  if (line === undefined) {
    console.error(error);
    return;
  }
  const url = new URL(request.url);
  // Client-chosen text: kept to one bounded line, and the query (which may hold tokens) left out.
  console.warn(`Refused ${request.method} ${url.pathname}${url.search.length > 0 ? '?…' : ''}: ${line}`.replace(/[\r\n]+/g, ' ').slice(0, 400));
};

/**
 * Root middleware that puts a process-wide resource (the app's fleet) into `key` for every
 * loader, action and middleware below. When it cannot be opened, the readiness probe at
 * `readinessPath` still answers, 503 with the reason, so an orchestrator sees "not ready"
 * rather than a 500 from a crashed request; every other request fails as before. The liveness
 * probe (`/healthz`) does not wait for it at all: it says the process answers, nothing more.
 */
export function resourceMiddleware<T>(key: RouterContext<T>, open: () => Promise<T>, readinessPath = '/readyz', livenessPath = '/healthz'): MiddlewareFunction<Response> {
  return async ({ context, request }, next) => {
    if (new URL(request.url).pathname === livenessPath) return next();
    let resource: T;
    try {
      resource = await open();
    } catch (error) {
      if (new URL(request.url).pathname !== readinessPath) throw error;
      return readinessResponse(() => {
        throw error;
      }, clientAddressOf(request));
    }
    context.set(key, resource);
    return next();
  };
}
