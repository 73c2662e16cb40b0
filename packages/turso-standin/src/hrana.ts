/**
 * @silo/turso-standin/hrana: the stand-in's Hrana over HTTP pieces that hold no state of the
 * stand-in itself (the JSON protocol, one SQL stream on one SQLite connection, batons), for
 * silo serve's libSQL endpoint (packages/server/src/libsql), so both speak the same protocol.
 */
export {
  CursorReqBodySchema,
  PipelineReqBodySchema,
  cursorEntries,
  type StreamRequest,
  type StreamResult,
} from './hrana-proto';
export { HttpError, ProtocolError } from './http-util';
export { classifyStatement } from './sqld-statements';
export { SqlStream, type DatabaseHooks, type StreamOptions } from './sql-stream';
export { StreamRegistry, type ClosableStream } from './stream-registry';
