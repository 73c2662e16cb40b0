import type { Command } from 'commander';

/** Adds an "Examples:" section to a command's --help, with `note` as its first line. */
export function examples(command: Command, lines: readonly string[], note?: string): Command {
  const body = [...(note ? [`  # ${note}`] : []), ...lines.map((line) => `  $ ${line}`)];
  return command.addHelpText('after', `\nExamples:\n${body.join('\n')}\n`);
}

/** The note of examples whose SQL names the TODO demo's tables: the CLI serves any app's fleet. */
export const TODO_TABLES_NOTE = "the TODO demo app's tables; the first example lists your app's";

