// @ts-check
/**
 * Preloaded (`--import`) into a process that runs tenant SQL, with its limit in this module's
 * URL (`?maxBytes=`, see memory-limit.ts). SQLite allocates as a statement asks
 * (`randomblob(4e8)` is 400 MB), `PRAGMA hard_heap_limit` does nothing in better-sqlite3's build
 * (SQLITE_DEFAULT_MEMSTATUS=0), and the process's main thread is blocked for the whole
 * statement; so a thread of its own watches the resident size and ends the process past the
 * limit, with a signal its parent tells apart from a crash or a kill at the time limit.
 */
import { Worker, isMainThread } from 'node:worker_threads';

const params = new URL(import.meta.url).searchParams;
const maxBytes = Number(params.get('maxBytes'));
const signal = params.get('signal');

// It looks again sooner the closer the process is to its limit: in the time a statement filling
// memory at 2 GB/s (randomblob does ~0.5) needs to use up the headroom, and at least every
// 20 ms near the limit, so it overshoots by tens of MB; an idle process far below its limit
// looks a few times a second, not fifty (each look of a thread costs ~0.2 ms of CPU).
const WATCHER = `
const { workerData } = require('node:worker_threads');
const look = () => {
  const rss = process.memoryUsage.rss();
  if (rss > workerData.maxBytes) process.kill(process.pid, workerData.signal);
  const headroomMs = (workerData.maxBytes - rss) / 2e6;
  setTimeout(look, Math.min(500, Math.max(20, headroomMs)));
};
look();
`;

// The main thread only: a worker the process starts from a file would preload this module too,
// and start a watcher of its own.
if (isMainThread && Number.isSafeInteger(maxBytes) && maxBytes > 0 && signal) {
  // unref: the watcher never keeps the process alive.
  new Worker(WATCHER, { eval: true, workerData: { maxBytes, signal } }).unref();
}
