import { readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { ExportedFile, Fleet } from '@silo/fleet';
import { OWN_TEMP_TAG, stagingDirOf } from '@silo/fleet/internal';
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
    removeOwnTemps(path.dirname(file), path.basename(file));
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
    recordInterrupted(fleet, name, signal, file);
    process.exit(reportError(interruptedError(signal, name, file, false), output, wantsJson(process.argv.slice(2))));
  });
  try {
    let result: { sizeBytes: number };
    try {
      result = await whileWorking(output, `Exporting ${name}…`, () => fleet.exportTo(name, file));
    } catch (error) {
      exporting = false;
      // The engine removes its temp file when it fails; this covers any path that did not.
      removeOwnTemps(path.dirname(file), path.basename(file));
      await signalsDelivered();
      if (interrupted) throw interruptedError(interrupted, name, file, false);
      const words = cannotWrite(file, error);
      throw words === undefined ? error : new CliFailure(words, EXIT.failed, 'FILE_UNWRITABLE');
    }
    exporting = false;
    await signalsDelivered();
    if (interrupted) {
      leaveNothing();
      // The fleet recorded a finished export; unless it replaced a file, it is gone again.
      if (!options.replacing) recordInterrupted(fleet, name, interrupted, file);
      throw interruptedError(interrupted, name, file, options.replacing);
    }
    return result;
  } finally {
    stopListening();
  }
}

/**
 * The audit entry of an export this process stops: one stopped mid-copy never reaches the
 * fleet's own entry, and the log must not hold only an `ok` for a file that was removed. (A
 * stream stopped mid-way is recorded by the fleet itself, Fleet.exportStream.)
 */
function recordInterrupted(fleet: Fleet, name: string, signal: NodeJS.Signals, output: string): void {
  try {
    fleet.recordAudit({ operation: 'export', instance: name, error: `${signalWords(signal)}: interrupted before it finished; nothing was delivered.`, detail: { interrupted: true, signal, output } });
  } catch (error) {
    // The user's answer (exit 130, what was left) matters more than the entry; say why it is missing.
    process.emitWarning(`silo: could not record the interrupted export in the audit log: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** `replaced`: the export finished over the file that was there, which is gone: it stays. */
function interruptedError(signal: NodeJS.Signals, name: string, file: string, replaced: boolean): CliFailure {
  const left = replaced ? `${file} holds the finished export (the file it replaced is gone)` : `nothing was written to ${file}`;
  return new CliFailure(`${signalWords(signal)}: export of "${name}" interrupted; ${left}.`, EXIT.interrupted, 'INTERRUPTED');
}

/**
 * `silo export <name> -o -` once stdout is known not to be a terminal: the fleet stages the
 * snapshot in the instance's region and streams it straight to the process's stdout (not
 * through Output, whose terminal-safety filter is for text). Ctrl+C or SIGTERM meanwhile
 * removes the staged file (else it stays until `silo doctor` sweeps it) and exits 130, as an
 * interrupted export to a file does. Bytes already on stdout cannot be taken back: the message
 * says whether there are any.
 */
export async function exportToStdout(output: Output, fleet: Fleet, instance: { name: string; region: string }): Promise<{ sizeBytes: number }> {
  const { name } = instance;
  const stagingDir = stagingDirOf(fleet.regions.get(instance.region));
  // `silo export` stages nothing else in the region, so every temp of this process there is this
  // export's. On exit too: process.exit (the listener below, or main's EPIPE handler when the
  // reader goes away) skips the stream's own clean-up, which runs when the stream closes.
  const removeStaged = (): void => removeOwnTemps(stagingDir);
  process.on('exit', removeStaged);
  let interrupted: NodeJS.Signals | undefined;
  let exported: ExportedFile | undefined;
  const stopListening = onInterrupt((signal) => {
    interrupted ??= signal;
    // Streaming: ending the stream ends the pipeline, and the command unwinds from there.
    if (exported) return void exported.stream.destroy();
    // Still staging (a copy off the main thread, a download, a wait for the write lock), which
    // cannot be told to stop: end here, and the exit hook removes what it wrote so far.
    recordInterrupted(fleet, name, signal, 'stdout');
    process.exit(reportError(interruptedOnStdout(signal, name, false), output, wantsJson(process.argv.slice(2))));
  });
  try {
    exported = await fleet.exportStream(name);
    try {
      await pipeline(exported.stream, process.stdout, { end: false });
    } catch (error) {
      if (interrupted) throw interruptedOnStdout(interrupted, name, true);
      throw error;
    }
    await signalsDelivered();
    if (interrupted) throw interruptedOnStdout(interrupted, name, true);
    return { sizeBytes: exported.sizeBytes };
  } finally {
    stopListening();
    exported?.stream.destroy();
    removeStaged();
    process.off('exit', removeStaged);
  }
}

/** `streamed`: some of the snapshot may have reached stdout before it stopped. */
function interruptedOnStdout(signal: NodeJS.Signals, name: string, streamed: boolean): CliFailure {
  const left = streamed ? 'what reached stdout may be incomplete: do not use it' : 'nothing was written to stdout';
  return new CliFailure(`${signalWords(signal)}: export of "${name}" interrupted; ${left}.`, EXIT.interrupted, 'INTERRUPTED');
}

/**
 * Temp files this process made in `dir` (the fleet's temp names with this process's tag, a
 * temp of such a temp, and SQLite's sidecars of either), of `base` or of any file. Only this
 * process's: another export to the same place may be running in another process.
 */
function removeOwnTemps(dir: string, base?: string): void {
  const ours = new RegExp(`^${base === undefined ? '.+?' : escapeRegExp(base)}(?:${OWN_TEMP_TAG})+(?:-wal|-shm|-journal)?$`);
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
