import { cliActor } from './actor';
import { terminalPrompt } from './confirm';
import { createContext } from './context';
import { reportError, wantsJson, type ExitCode } from './errors';
import { Output } from './output';
import type { Command } from 'commander';
import { buildProgram } from './program';

/** Runs one `silo` invocation and returns its exit code; it never calls process.exit itself. */
export async function run(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<ExitCode> {
  const output = new Output(process.stdout, process.stderr, env);
  const ctx = createContext(output, terminalPrompt(), env, cliActor(env));
  const json = wantsJson(argv);
  try {
    const program = buildProgram(ctx, { json });
    await program.parseAsync(unknownHelpAsCommand(program, argv), { from: 'user' });
    return ctx.exitCode;
  } catch (error) {
    return reportError(error, output, json);
  }
}

/**
 * `silo help <name>` for a name no command has, as `silo <name>`: "unknown command", with the
 * nearest command suggested, where commander printed the whole help as an error.
 */
function unknownHelpAsCommand(program: Command, argv: readonly string[]): string[] {
  const [first, name, ...rest] = argv;
  if (first !== 'help' || name === undefined || name.startsWith('-')) return [...argv];
  const known = program.commands.some((command) => command.name() === name || command.aliases().includes(name));
  return known ? [...argv] : [name, ...rest];
}
