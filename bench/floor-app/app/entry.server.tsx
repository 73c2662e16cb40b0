/*
 * The floor renders documents the way both apps do (@silo/web's handleDocumentRequest:
 * React Router's Node entry, streamed from the shell on), unless FLOOR_RENDER names another
 * renderer to compare (bench/floor-variants.ts, bench/floor-render.ts):
 * - `buffered`: the same pipeable stream, waited for to the end (onAllReady) and sent as one
 *   body with its length (measured, not adopted: docs/decisions/0030-page-floor.md);
 * - `string`: renderToString (React Router's streamed hydration data suspends, so it is left
 *   out: a page that cannot hydrate; measured only for what rendering costs without streams).
 */
import { Writable } from 'node:stream';
import { createElement } from 'react';
import { renderToPipeableStream, renderToString } from 'react-dom/server';
import { ServerRouter, type EntryContext, type RouterContextProvider } from 'react-router';
import { handleDocumentRequest, requestInfoContext } from '@silo/web/react-router';

export { handleError, streamTimeout } from '@silo/web/react-router';

const mode = process.env['FLOOR_RENDER'] ?? 'stream';

function buffered(request: Request, status: number, headers: Headers, routerContext: EntryContext, loadContext: RouterContextProvider): Promise<Response> {
  const nonce = loadContext.get(requestInfoContext)?.nonce;
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const body = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        chunks.push(chunk);
        callback();
      },
      final(callback) {
        const bytes = Buffer.concat(chunks);
        headers.set('Content-Type', 'text/html; charset=utf-8');
        headers.set('Content-Length', String(bytes.byteLength));
        resolve(new Response(bytes, { status, headers }));
        callback();
      },
    });
    const { pipe } = renderToPipeableStream(createElement(ServerRouter, { context: routerContext, url: request.url, nonce }), {
      nonce,
      onAllReady: () => pipe(body),
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
