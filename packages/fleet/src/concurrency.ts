/**
 * Runs `task` over `items` with at most `concurrency` in flight and yields each result as soon
 * as it is ready (not in input order), so callers can stream progress. `task` must not throw.
 */
export async function* mapUnordered<T, R>(
  items: Iterable<T>,
  concurrency: number,
  task: (item: T) => Promise<R>,
): AsyncGenerator<R> {
  const iterator = items[Symbol.iterator]();
  const ready: R[] = [];
  let inFlight = 0;
  let exhausted = false;
  let wake: (() => void) | undefined;

  const startNext = (): void => {
    while (!exhausted && inFlight < Math.max(1, concurrency)) {
      const next = iterator.next();
      if (next.done) {
        exhausted = true;
        return;
      }
      inFlight++;
      void task(next.value).then((result) => {
        inFlight--;
        ready.push(result);
        wake?.();
      });
    }
  };

  startNext();
  while (inFlight > 0 || ready.length > 0) {
    if (ready.length === 0) await new Promise<void>((resolve) => (wake = resolve));
    wake = undefined;
    while (ready.length > 0) yield ready.shift() as R;
    startNext();
  }
}
