/*
 * The floor renders documents the way both apps do (@silo/web's handleDocumentRequest), unless
 * FLOOR_RENDER names another renderer to compare (bench/floor-variants.ts):
 * - `buffered`: React's pipeable stream, waited for to the end (onAllReady) and sent as one body;
 * - `string`: renderToString (React Router's streamed hydration data suspends, so it is left
 *   out: a page that cannot hydrate; measured only for what rendering costs without streams).
 */
import { createElement } from 'react';
import { renderToPipeableStream, renderToString } from 'react-dom/server';
import { ServerRouter, type EntryContext, type RouterContextProvider } from 'react-router';
import { handleDocumentRequest, requestInfoContext } from '@silo/web/react-router';

export { handleError, streamTimeout } from '@silo/web/react-router';

const mode = process.env['FLOOR_RENDER'] ?? 'stream';

function buffered(request: Request, status: number, headers: Headers, routerContext: EntryContext, loadContext: RouterContextProvider): Promise<Response> {
  const nonce = loadContext.get(requestInfoContext)?.nonce;
  return new Promise((resolve, reject) => {
    const chunks: Uint8Array[] = [];
    // The least of a Writable that React's pipe() needs: it writes, then ends, synchronously.
    const sink = {
      // React writes long strings as they are, and reuses its 4 KiB views once written: copies.
      write: (chunk: Uint8Array | string) => chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk)) > 0,
      end: () => {
        const body = Buffer.concat(chunks);
        headers.set('Content-Type', 'text/html; charset=utf-8');
        headers.set('Content-Length', String(body.byteLength));
        resolve(new Response(body, { status, headers }));
      },
      on: () => sink,
    };
    const { pipe } = renderToPipeableStream(createElement(ServerRouter, { context: routerContext, url: request.url, nonce }), {
      nonce,
      onAllReady: () => pipe(sink as unknown as NodeJS.WritableStream),
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

export default mode === 'buffered' ? buffered : mode === 'string' ? string : handleDocumentRequest;
