/**
 * A child process that runs Hrana streams on SQLite connections of its own. SQLite calls are
 * synchronous and cannot be interrupted from JavaScript, so a runaway statement (an endless
 * recursive CTE) would freeze any process it ran in; here the endpoint kills this process at
 * the time limit and the server keeps serving (the fleet's query-host.mjs does the same for
 * console queries). The streams themselves are the Turso stand-in's (sqld's semantics).
 */
import { HttpError, SqlStream } from '@silo/turso-standin/hrana';
import type { FromHost, OpenStream, ToHost } from './host-protocol';
import { ConnectionPool, beginRequest, pooledConnection } from './connection-pool';
import type Database from 'better-sqlite3';
import { openStreamConnection } from './stream-connection';
import { countersUnmoved, noteWrite, readsCounters } from './connection-state';

// Owner-only, like the server: SQLite may create a -wal or -shm beside a tenant file here.
process.umask(0o077);

const streams = new Map<number, SqlStream | { failure: string }>();
/** Each open stream's connection, told when a request of the stream begins (kept statements check the schema then). */
const connections = new Map<number, Database.Database>();
const pool = new ConnectionPool(64, 10_000);

/** When this process last said anything to the endpoint (performance.now()). */
let lastSent = 0;

/**
 * A pipeline tells the endpoint it is alive between statements when it has been quiet this
 * long: the watchdog's limit is per statement, so a pipeline of many slow but finite
 * statements is not taken for a runaway, and one of many runaways is stopped at the first.
 * Quick pipelines send nothing more.
 */
const PROGRESS_AFTER_MS = 250;

function send(message: FromHost): void {
  lastSent = performance.now();
  // The endpoint may be gone (killed, Ctrl+C): nobody to answer, and no EPIPE trace for it.
  if (process.connected) process.send?.(message, () => undefined);
}

process.on('message', (message: ToHost) => {
  if (message.type === 'close') {
    const stream = streams.get(message.stream);
    forget(message.stream);
    if (stream instanceof SqlStream) stream.close();
    return;
  }
  if (message.open) open(message.stream, message.open, message.requests);
  void handle(message.id, message.stream, message.requests, message.announce);
});

function open(id: number, spec: OpenStream, firstRequests: unknown): void {
  try {
    const key = `${spec.instanceId}\0${spec.readOnly}\0${spec.file}`;
    // A stream that reads last_insert_rowid() and the like reads 0 first, as on a new connection.
    const raw = pool.take(key, () => openStreamConnection(spec.file, spec.readOnly, spec.maxBytes), readsCounters(firstRequests) ? countersUnmoved : undefined);
    const conn = pooledConnection(raw, () => pool.give(key, raw));
    const hooks = { beforeWrite: () => noteWrite(raw), noteCommit: () => send({ type: 'commit', stream: id }), recordUsage: () => undefined };
    // openStreamConnection set query_only on a read-only connection already.
    streams.set(id, new SqlStream(conn, hooks, { ...spec.options, queryOnlyAtOpen: spec.readOnly }));
    connections.set(id, raw);
  } catch (error) {
    streams.set(id, { failure: error instanceof Error ? error.message : String(error) });
  }
}

async function handle(id: number, streamId: number, requests: Extract<ToHost, { type: 'requests' }>['requests'], announce: boolean): Promise<void> {
  const stream = streams.get(streamId);
  if (stream === undefined) return send({ type: 'reply', id, closed: true, failure: 'The stream is not open in this process' });
  if (!(stream instanceof SqlStream)) {
    streams.delete(streamId);
    return send({ type: 'reply', id, closed: true, failure: stream.failure });
  }
  // Node emits the messages of one read from the pipe one after the other before any promise
  // continues, so a request's reply (sent after an await) would wait behind the next
  // message's SQL, and behind a runaway for good: the parent would blame the runaway on a
  // request that was done. One turn of the event loop first lets earlier replies go out.
  await new Promise<void>((resolve) => setImmediate(resolve));
  if (announce) send({ type: 'started', id });
  const conn = connections.get(streamId);
  if (conn !== undefined) beginRequest(conn);
  try {
    const results = [];
    for (const request of requests) {
      results.push(await stream.handle(request));
      if (results.length < requests.length && performance.now() - lastSent >= PROGRESS_AFTER_MS) send({ type: 'progress', id });
    }
    if (stream.closed) forget(streamId);
    send({ type: 'reply', id, closed: stream.closed, results });
  } catch (error) {
    stream.close();
    forget(streamId);
    if (error instanceof HttpError) send({ type: 'reply', id, closed: true, httpError: { status: error.status, body: error.body } });
    else send({ type: 'reply', id, closed: true, failure: error instanceof Error ? error.message : String(error) });
  }
}

function forget(streamId: number): void {
  streams.delete(streamId);
  connections.delete(streamId);
}
