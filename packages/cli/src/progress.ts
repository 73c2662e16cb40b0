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
