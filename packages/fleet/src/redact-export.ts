import { runOffThread } from './off-thread/off-thread';

/**
 * Runs an app's redaction statements on a staged export (a private copy, never the live
 * database), empties SQLite's planner statistics, and writes the result to `dest` with VACUUM
 * INTO: a file rebuilt from the rows that are left, so nothing the statements removed survives
 * in free pages, page slack or sampled index keys. The staged copy is removed afterwards, and
 * `dest` on failure.
 *
 * On the process's SQLite worker thread (off-thread-host.mjs, which holds the statements):
 * the rebuild reads and writes the whole database, tens of milliseconds for a list at its
 * limits, which on the main thread would hold every other tenant's requests.
 */
export async function redactInto(staged: string, dest: string, statements: readonly string[]): Promise<void> {
  await runOffThread({ kind: 'redact', staged, dest, statements });
}
