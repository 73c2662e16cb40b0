import { createInterface } from 'node:readline/promises';
import { terminalSafe } from './format/terminal-safe';

export interface Prompt {
  readonly interactive: boolean;
  /** Asks on stderr and resolves to the trimmed answer. */
  ask(question: string): Promise<string>;
}

/** Questions go to stderr and answers come from stdin; only a terminal on stdin is interactive. */
export function terminalPrompt(stdin: NodeJS.ReadStream = process.stdin, stderr: NodeJS.WritableStream = process.stderr): Prompt {
  return {
    interactive: stdin.isTTY === true,
    async ask(question) {
      const rl = createInterface({ input: stdin, output: stderr, terminal: true });
      try {
        return (await rl.question(terminalSafe(question))).trim();
      } finally {
        rl.close();
      }
    },
  };
}
