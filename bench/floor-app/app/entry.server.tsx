/*
 * The floor renders documents the way both apps do (@silo/web's handleDocumentRequest: sent
 * whole once all is ready), unless FLOOR_RENDER names another renderer to compare
 * (bench/floor-variants.ts, bench/floor-render.ts):
 * - `stream`: React Router's default Node entry, which both apps ran before (streamed from the
 *   shell on, through a PassThrough and a web ReadableStream);
 * - `string`: renderToString (React Router's streamed hydration data suspends, so it is left
 *   out: a page that cannot hydrate; measured only for what rendering costs without streams).
 */
import { PassThrough } from 'node:stream';
import { createReadableStreamFromReadable } from '@react-router/node';
import { createElement } from 'react';
import { renderToPipeableStream, renderToString } from 'react-dom/server';
import { ServerRouter, type EntryContext, type RouterContextProvider } from 'react-router';
import { handleDocumentRequest, requestInfoContext } from '@silo/web/react-router';

export { handleError, streamTimeout } from '@silo/web/react-router';

const mode = process.env['FLOOR_RENDER'] ?? 'buffered';

function stream(request: Request, status: number, headers: Headers, routerContext: EntryContext, loadContext: RouterContextProvider): Promise<Response> {
  const nonce = loadContext.get(requestInfoContext)?.nonce;
  return new Promise((resolve, reject) => {
    const { pipe } = renderToPipeableStream(createElement(ServerRouter, { context: routerContext, url: request.url, nonce }), {
      nonce,
      onShellReady() {
        const body = new PassThrough();
        headers.set('Content-Type', 'text/html; charset=utf-8');
        pipe(body);
        resolve(new Response(createReadableStreamFromReadable(body), { status, headers }));
      },
      onShellError: (error: unknown) => reject(error instanceof Error ? error : new Error(String(error))),
      onError: () => {
        status = 500;
      },
    });
  });
}

function string(request: Request, status: number, headers: Headers, routerContext: EntryContext, loadContext: RouterContextProvider): Response {
  const nonce = loadContext.get(requestInfoContext)?.nonce;
  const html = `<!DOCTYPE html>${renderToString(createElement(ServerRouter, { context: routerContext, url: request.url, nonce }))}`;
  headers.set('Content-Type', 'text/html; charset=utf-8');
  return new Response(html, { status, headers });
}

export default mode === 'stream' ? stream : mode === 'string' ? string : handleDocumentRequest;
