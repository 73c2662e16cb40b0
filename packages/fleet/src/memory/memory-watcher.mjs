// @ts-check
/**
 * Preloaded (`--import`) into a process that runs tenant SQL, with its limit in this module's
 * URL (`?maxBytes=`, see memory-limit.ts). SQLite allocates as a statement asks
 * (`randomblob(4e8)` is 400 MB), `PRAGMA hard_heap_limit` does nothing in better-sqlite3's build
 * (SQLITE_DEFAULT_MEMSTATUS=0), and the process's main thread is blocked for the whole
 * statement; so a thread of its own watches the resident size and ends the process past the
 * limit, with a signal its parent tells apart from a crash or a kill at the time limit.
 */
import { Worker } from 'node:worker_threads';

const params = new URL(import.meta.url).searchParams;
const maxBytes = Number(params.get('maxBytes'));
const signal = params.get('signal');

// Often enough that a statement filling memory at ~1 GB/s overshoots by tens of MB at most.
const WATCHER = `
const { workerData } = require('node:worker_threads');
setInterval(() => {
  if (process.memoryUsage.rss() > workerData.maxBytes) process.kill(process.pid, workerData.signal);
}, 20);
`;

if (Number.isSafeInteger(maxBytes) && maxBytes > 0 && signal) {
  // unref: the watcher never keeps the process alive.
  new Worker(WATCHER, { eval: true, workerData: { maxBytes, signal } }).unref();
}
