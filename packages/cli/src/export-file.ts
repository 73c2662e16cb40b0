import { readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { Fleet } from '@silo/fleet';
import { CliFailure, EXIT, reportError, wantsJson } from './errors';
import { onInterrupt, signalWords, signalsDelivered } from './interrupt';
import type { Output } from './output';
import { cannotWrite } from './output-path';
import { clearProgress, whileWorking } from './progress';

/**
 * `silo export <name> -o <file>` once the file is chosen: the fleet writes the snapshot under a
 * temp name beside `file` and renames it into place. Ctrl+C or SIGTERM meanwhile leaves
 * nothing of this run at `file`: no temp file, and no new file (a file it replaced with
 * --force is gone already, so the finished export stays there). Exits 130 then, as an
 * interrupted `silo migrate` does.
 */
export async function exportToFile(output: Output, fleet: Fleet, name: string, file: string, options: { replacing: boolean }): Promise<{ sizeBytes: number }> {
  let interrupted: NodeJS.Signals | undefined;
  let exporting = true;
  const leaveNothing = (): void => {
    removeOwnTemps(file);
    if (!options.replacing) rmSync(file, { force: true });
  };
  const stopListening = onInterrupt((signal) => {
    interrupted ??= signal;
    if (!exporting) return;
    // The export is still running (a copy off the main thread, a download, a wait for the
    // instance's write lock) and cannot be told to stop: remove what it wrote so far and end
    // here, before it can put a file in place.
    leaveNothing();
    clearProgress();
    process.exit(reportError(interruptedError(signal, name, file, false), output, wantsJson(process.argv.slice(2))));
  });
  try {
    let result: { sizeBytes: number };
    try {
      result = await whileWorking(output, `Exporting ${name}…`, () => fleet.exportTo(name, file));
    } catch (error) {
      exporting = false;
      // The engine removes its temp file when it fails; this covers any path that did not.
      removeOwnTemps(file);
      await signalsDelivered();
      if (interrupted) throw interruptedError(interrupted, name, file, false);
      const words = cannotWrite(file, error);
      throw words === undefined ? error : new CliFailure(words, EXIT.failed, 'FILE_UNWRITABLE');
    }
    exporting = false;
    await signalsDelivered();
    if (interrupted) {
      leaveNothing();
      throw interruptedError(interrupted, name, file, options.replacing);
    }
    return result;
  } finally {
    stopListening();
  }
}

/** `replaced`: the export finished over the file that was there, which is gone: it stays. */
function interruptedError(signal: NodeJS.Signals, name: string, file: string, replaced: boolean): CliFailure {
  const left = replaced ? `${file} holds the finished export (the file it replaced is gone)` : `nothing was written to ${file}`;
  return new CliFailure(`${signalWords(signal)}: export of "${name}" interrupted; ${left}.`, EXIT.interrupted, 'INTERRUPTED');
}

/**
 * Temp files this process made beside `file` (the fleet's `<file>.tmp-<pid>[.<start>]-<hex>`,
 * and SQLite's sidecars of one). Only our pid's: another export to the same path may be
 * running in another process.
 */
function removeOwnTemps(file: string): void {
  const dir = path.dirname(file);
  const ours = new RegExp(`^${escapeRegExp(path.basename(file))}\\.tmp-${process.pid}(?:\\.\\d+)?-[0-9a-f]{8}(?:-wal|-shm|-journal)?$`);
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return;
  }
  for (const entry of entries) if (ours.test(entry)) rmSync(path.join(dir, entry), { force: true });
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
