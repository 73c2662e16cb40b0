import cliProgress from 'cli-progress';
import type { Output } from './output';

export interface Progress {
  update(done: number, payload?: Record<string, string | number>): void;
  stop(): void;
}

const none: Progress = { update: () => undefined, stop: () => undefined };

/** The stop of every bar and activity line on the terminal now. */
const showing = new Set<() => void>();

/**
 * Clears every bar and activity line and gives the terminal its cursor back: before an error
 * printed from a signal listener (it would land on the bar's line), and on any exit, as a
 * second Ctrl+C exits at once, without reaching the code that stops the bar.
 */
export function clearProgress(): void {
  for (const stop of [...showing]) stop();
}

function showingUntilStopped(stop: () => void): void {
  if (showing.size === 0) process.once('exit', clearProgress);
  showing.add(stop);
}

function stopped(stop: () => void): void {
  showing.delete(stop);
  if (showing.size === 0) process.off('exit', clearProgress);
}

/**
 * A progress bar on stderr, only when stderr is a terminal: pipes, files and CI logs get
 * nothing, so stdout stays clean for results and stderr for errors.
 */
export function progressBar(output: Output, total: number, format: string, payload: Record<string, string | number> = {}): Progress {
  if (!output.stderrIsTTY || total === 0) return none;
  const bar = new cliProgress.SingleBar(
    { stream: process.stderr, format, hideCursor: true, clearOnComplete: true, etaBuffer: 50 },
    cliProgress.Presets.shades_classic,
  );
  bar.start(total, 0, payload);
  let done = false;
  const stop = (): void => {
    if (done) return;
    done = true;
    stopped(stop);
    bar.stop();
  };
  showingUntilStopped(stop);
  return { update: (value, extra) => bar.update(value, extra), stop };
}

/** How long work runs before its activity line shows: quick work prints nothing extra. */
const ACTIVITY_AFTER_MS = 1_000;

/**
 * `work`, with a line on stderr saying what runs and for how long once it has taken a second
 * (an export, an import, a backup: work with no count to show as a bar). Only on a terminal,
 * like the bars; the line is cleared when the work ends, however it ends.
 */
export async function whileWorking<T>(output: Output, label: string, work: () => Promise<T>): Promise<T> {
  if (!output.stderrIsTTY) return work();
  let bar: cliProgress.SingleBar | undefined;
  const show = setTimeout(() => {
    // noTTYOutput: the terminal check is ours (above); cli-progress's own one looks at the process's stderr.
    bar = new cliProgress.SingleBar({ stream: process.stderr, format: `${label} {duration_formatted}`, hideCursor: true, clearOnComplete: true, fps: 4, noTTYOutput: true });
    bar.start(1, 0);
  }, ACTIVITY_AFTER_MS);
  const stop = (): void => {
    clearTimeout(show);
    stopped(stop);
    bar?.stop();
    bar = undefined;
  };
  showingUntilStopped(stop);
  try {
    return await work();
  } finally {
    stop();
  }
}
