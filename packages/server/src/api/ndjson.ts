import { streamedError } from './errors';

/**
 * An NDJSON answer from an async iterable: one JSON object per line, written as produced and
 * pulled only as fast as the client reads. A failure mid-stream becomes a last line
 * `{"status":"error",…}` (StreamErrorLine), since the status line has long been sent; a client that goes away
 * stops the iterable (its `finally` runs: audits record the early stop).
 */
export function ndjson(events: AsyncIterable<unknown>): Response {
  const iterator = events[Symbol.asyncIterator]();
  const encoder = new TextEncoder();
  const stream = new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const next = await iterator.next();
        if (next.done) controller.close();
        else controller.enqueue(encoder.encode(`${JSON.stringify(next.value)}\n`));
      } catch (error) {
        controller.enqueue(encoder.encode(`${JSON.stringify(streamedError(error))}\n`));
        controller.close();
      }
    },
    async cancel() {
      await iterator.return?.();
    },
  });
  return new Response(stream, { status: 200, headers: { 'Content-Type': 'application/x-ndjson', 'Cache-Control': 'no-store' } });
}
