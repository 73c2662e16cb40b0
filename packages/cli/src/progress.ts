import cliProgress from 'cli-progress';
import type { Output } from './output';

export interface Progress {
  update(done: number, payload?: Record<string, string | number>): void;
  stop(): void;
}

const none: Progress = { update: () => undefined, stop: () => undefined };

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
  let stopped = false;
  return {
    update: (done, extra) => bar.update(done, extra),
    stop: () => {
      if (stopped) return;
      stopped = true;
      bar.stop();
    },
  };
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
  try {
    return await work();
  } finally {
    clearTimeout(show);
    bar?.stop();
  }
}
