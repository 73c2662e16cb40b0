import type { ServerResponse } from 'node:http';
import { HttpError, sendJson } from './http-util';
import type { DatabaseRecord } from './platform-state';

const SYNC_PATH = /^(?:info|export\/(\d+)|sync\/(\d+)\/(\d+)\/(\d+))$/;

export function isReplicaSync(rest: string): boolean {
  return SYNC_PATH.test(rest);
}

/**
 * What libsql's embedded replicas (the `libsql` package, `syncUrl`) pull, its "sync protocol
 * v2": `GET info` → `{ current_generation }`, `GET export/{generation}` → the database image
 * the generation starts from, `GET sync/{generation}/{from}/{to}` → frames [from, to) of that
 * generation as one body (replication-log.ts); asked past the last frame, it answers 400 with
 * `{ generation }`, which the replica reads as "up to date". Writes and transactions go to the
 * Hrana endpoints. A read-only token may sync: a replica only reads from here.
 */
export function serveReplicaSync(res: ServerResponse, db: DatabaseRecord, rest: string): void {
  const log = db.replication();
  const [, exportGeneration, syncGeneration, from, to] = SYNC_PATH.exec(rest) ?? [];
  if (rest === 'info') return sendJson(res, 200, { current_generation: log.generation });
  if (exportGeneration !== undefined) {
    const image = log.export(Number(exportGeneration));
    if (image === undefined) throw new HttpError(404, { error: `generation ${exportGeneration} does not exist` });
    return sendBytes(res, image);
  }
  const start = Number(from);
  const generation = Number(syncGeneration);
  const last = log.lastFrame(generation);
  // Past the end of its generation (or an unknown one): "the newest generation is N". A replica
  // behind it checkpoints and continues from frame 1 of the next generation.
  if (last === undefined || start < 1 || start > last) return sendJson(res, 400, { generation: log.generation });
  sendBytes(res, log.frames(generation, start, Number(to)));
}

function sendBytes(res: ServerResponse, bytes: Buffer): void {
  res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': bytes.length });
  res.end(bytes);
}
