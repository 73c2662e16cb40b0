import { createInterface, type Interface } from 'node:readline/promises';
import { Writable } from 'node:stream';
import { CliFailure, EXIT } from './errors';
import { terminalSafe } from './format/terminal-safe';

export interface Prompt {
  readonly interactive: boolean;
  /** Asks on stderr and resolves to the trimmed answer. */
  ask(question: string): Promise<string>;
  /** Asks on stderr for a secret (a password): the answer is not shown as it is typed, and is kept exactly as typed. */
  askSecret(question: string): Promise<string>;
}

/** Questions go to stderr and answers come from stdin; only a terminal on stdin is interactive. */
export function terminalPrompt(stdin: NodeJS.ReadStream = process.stdin, stderr: NodeJS.WritableStream = process.stderr): Prompt {
  return {
    interactive: stdin.isTTY === true,
    async ask(question) {
      const rl = createInterface({ input: stdin, output: stderr, terminal: true });
      try {
        return (await answerOf(rl, question, stderr)).trim();
      } finally {
        rl.close();
      }
    },
    async askSecret(question) {
      // readline puts the terminal in raw mode and echoes every key itself, to its output: once
      // the question is out, that output goes nowhere, so the secret never reaches the screen
      // (or a screen recording, or the scrollback).
      let hidden = false;
      const muted = new Writable({
        write(chunk: Buffer | string, _encoding, done) {
          if (!hidden) stderr.write(chunk);
          done();
        },
      });
      const rl = createInterface({ input: stdin, output: muted, terminal: true });
      try {
        const answer = answerOf(rl, question, stderr);
        hidden = true;
        const secret = await answer;
        // The Enter that ended the answer was not echoed either.
        stderr.write('\n');
        return secret;
      } finally {
        rl.close();
      }
    },
  };
}

/**
 * The answer to `question`. Ctrl+C (or Ctrl+D) at a prompt, readline's AbortError, is the
 * person saying no: nothing has been done yet, so it ends the command as an interruption
 * (exit 130), not as a bug with a stack trace.
 */
async function answerOf(rl: Interface, question: string, stderr: NodeJS.WritableStream): Promise<string> {
  try {
    return await rl.question(terminalSafe(question));
  } catch (error) {
    if (!(error instanceof Error && error.name === 'AbortError')) throw error;
    // The error goes below the prompt's line, not after what was typed on it.
    stderr.write('\n');
    throw new CliFailure('Stopped at the prompt; nothing was changed.', EXIT.interrupted, 'INTERRUPTED');
  }
}
