/**
 * One turn of the event loop, for benchmarks that call a request handler in a loop of awaits.
 * Such a loop never reaches the loop's check phase on its own: what each request left for
 * `setImmediate` (React's and the fetch streams' clean-up, which holds the Request, its streams
 * and its rendered data, ~20 KB a page) stayed queued, the heap grew by ~100 MB a run, and its
 * collections fell on whichever side happened to be running. A server's loop runs that work
 * between requests; awaited right after a request, it is counted to that request.
 */
export function turnEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * The longest the event loop went without a turn while `work` ran, in ms: what every other
 * request of the process waited at worst. A timer asks for a turn every millisecond.
 */
export async function longestStall(work: () => unknown): Promise<number> {
  let last = performance.now();
  let longest = 0;
  const ticker = setInterval(() => {
    const now = performance.now();
    longest = Math.max(longest, now - last);
    last = now;
  }, 1);
  try {
    await work();
    longest = Math.max(longest, performance.now() - last);
  } finally {
    clearInterval(ticker);
  }
  return longest;
}
