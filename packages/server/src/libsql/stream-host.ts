/**
 * A child process that runs Hrana streams on SQLite connections of its own. SQLite calls are
 * synchronous and cannot be interrupted from JavaScript, so a runaway statement (an endless
 * recursive CTE) would freeze any process it ran in; here the endpoint kills this process at
 * the time limit and the server keeps serving (the fleet's query-host.mjs does the same for
 * console queries). The streams themselves are the Turso stand-in's (sqld's semantics).
 */
import { HttpError, SqlStream } from '@silo/turso-standin/hrana';
import type { FromHost, ToHost } from './host-protocol';
import { openStreamConnection } from './stream-connection';

// Owner-only, like the server: SQLite may create a -wal or -shm beside a tenant file here.
process.umask(0o077);

const streams = new Map<number, SqlStream | { failure: string }>();

function send(message: FromHost): void {
  process.send?.(message);
}

process.on('message', (message: ToHost) => {
  switch (message.type) {
    case 'open':
      try {
        const conn = openStreamConnection(message.file, message.readOnly, message.maxBytes);
        const hooks = { beforeWrite: () => undefined, noteCommit: () => send({ type: 'commit', stream: message.stream }), recordUsage: () => undefined };
        streams.set(message.stream, new SqlStream(conn, hooks, message.options));
      } catch (error) {
        streams.set(message.stream, { failure: error instanceof Error ? error.message : String(error) });
      }
      return;
    case 'close': {
      const stream = streams.get(message.stream);
      streams.delete(message.stream);
      if (stream instanceof SqlStream) stream.close();
      return;
    }
    case 'request':
      void handle(message.id, message.stream, message.request);
  }
});

async function handle(id: number, streamId: number, request: Extract<ToHost, { type: 'request' }>['request']): Promise<void> {
  const stream = streams.get(streamId);
  if (stream === undefined) return send({ type: 'reply', id, closed: true, failure: 'The stream is not open in this process' });
  if (!(stream instanceof SqlStream)) {
    streams.delete(streamId);
    return send({ type: 'reply', id, closed: true, failure: stream.failure });
  }
  try {
    const result = await stream.handle(request);
    if (stream.closed) streams.delete(streamId);
    send({ type: 'reply', id, closed: stream.closed, result });
  } catch (error) {
    stream.close();
    streams.delete(streamId);
    if (error instanceof HttpError) send({ type: 'reply', id, closed: true, httpError: { status: error.status, body: error.body } });
    else send({ type: 'reply', id, closed: true, failure: error instanceof Error ? error.message : String(error) });
  }
}
