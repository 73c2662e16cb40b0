/**
 * Ctrl+C (SIGINT) and SIGTERM for commands that must not leave half-done work behind: while a
 * listener is installed Node no longer ends the process on these signals, so the command
 * decides what stopping means (migrate finishes the instances in flight, export removes its
 * partial file) and exits with EXIT.interrupted.
 */

const SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM'];

/** Listens for SIGINT and SIGTERM until the returned function is called. */
export function onInterrupt(listener: (signal: NodeJS.Signals) => void): () => void {
  for (const signal of SIGNALS) process.on(signal, listener);
  return () => {
    for (const signal of SIGNALS) process.off(signal, listener);
  };
}

/** How a signal is named in messages: the key a person pressed, or the signal a supervisor sent. */
export function signalWords(signal: NodeJS.Signals): string {
  return signal === 'SIGINT' ? 'Ctrl+C' : signal;
}

/**
 * One turn of the event loop. Node runs signal listeners from the loop, so a signal that came
 * while synchronous work held it (the local engine copies a database in one call) is delivered
 * by the time this resolves: the command then knows whether it was interrupted before it
 * reports success.
 */
export function signalsDelivered(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
