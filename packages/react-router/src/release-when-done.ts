/**
 * The response, calling `release` once it is done: its body read to the end, cancelled or
 * failed, or the request aborted (the client went away), whichever comes first; at once when
 * there is no body to wait for. A streamed document may still read the database while it
 * renders deferred data, so "done" is the body's end, not the moment the Response exists.
 */
export function releaseWhenDone(request: Request, response: Response, release: () => void): Response {
  // HEAD responses are written without their body, which nobody would then read or cancel.
  if (response.body === null || request.method === 'HEAD' || request.signal.aborted) {
    release();
    return response;
  }
  let released = false;
  const done = (): void => {
    if (released) return;
    released = true;
    request.signal.removeEventListener('abort', done);
    release();
  };
  request.signal.addEventListener('abort', done, { once: true });
  const reader = response.body.getReader();
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const chunk = await reader.read();
        if (chunk.done) {
          done();
          controller.close();
        } else {
          controller.enqueue(chunk.value);
        }
      } catch (error) {
        done();
        controller.error(error);
      }
    },
    cancel(reason) {
      done();
      return reader.cancel(reason);
    },
  });
  return new Response(body, { status: response.status, statusText: response.statusText, headers: response.headers });
}
