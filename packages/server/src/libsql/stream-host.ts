/**
 * A child process that runs Hrana streams on SQLite connections of its own. SQLite calls are
 * synchronous and cannot be interrupted from JavaScript, so a runaway statement (an endless
 * recursive CTE) would freeze any process it ran in; here the endpoint kills this process at
 * the time limit and the server keeps serving (the fleet's query-host.mjs does the same for
 * console queries). The streams themselves are the Turso stand-in's (sqld's semantics).
 */
import { HttpError, SqlStream } from '@silo/turso-standin/hrana';
import type { FromHost, ToHost } from './host-protocol';
import { ConnectionPool, pooledConnection } from './connection-pool';
import { openStreamConnection } from './stream-connection';

// Owner-only, like the server: SQLite may create a -wal or -shm beside a tenant file here.
process.umask(0o077);

const streams = new Map<number, SqlStream | { failure: string }>();
const pool = new ConnectionPool(64, 10_000);

function send(message: FromHost): void {
  process.send?.(message);
}

process.on('message', (message: ToHost) => {
  switch (message.type) {
    case 'open':
      try {
        const key = `${message.instanceId}\0${message.readOnly}\0${message.file}`;
        const raw = pool.take(key, () => openStreamConnection(message.file, message.readOnly, message.maxBytes));
        const conn = pooledConnection(raw, () => pool.give(key, raw));
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
    case 'requests':
      void handle(message.id, message.stream, message.requests);
  }
});

async function handle(id: number, streamId: number, requests: Extract<ToHost, { type: 'requests' }>['requests']): Promise<void> {
  const stream = streams.get(streamId);
  if (stream === undefined) return send({ type: 'reply', id, closed: true, failure: 'The stream is not open in this process' });
  if (!(stream instanceof SqlStream)) {
    streams.delete(streamId);
    return send({ type: 'reply', id, closed: true, failure: stream.failure });
  }
  send({ type: 'started', id });
  try {
    const results = [];
    for (const request of requests) results.push(await stream.handle(request));
    if (stream.closed) streams.delete(streamId);
    send({ type: 'reply', id, closed: stream.closed, results });
  } catch (error) {
    stream.close();
    streams.delete(streamId);
    if (error instanceof HttpError) send({ type: 'reply', id, closed: true, httpError: { status: error.status, body: error.body } });
    else send({ type: 'reply', id, closed: true, failure: error instanceof Error ? error.message : String(error) });
  }
}
