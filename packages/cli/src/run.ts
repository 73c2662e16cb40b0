import { cliActor } from './actor';
import { terminalPrompt } from './confirm';
import { createContext } from './context';
import { reportError, wantsJson, type ExitCode } from './errors';
import { Output } from './output';
import { buildProgram } from './program';

/** Runs one `silo` invocation and returns its exit code; it never calls process.exit itself. */
export async function run(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<ExitCode> {
  const output = new Output(process.stdout, process.stderr, env);
  const ctx = createContext(output, terminalPrompt(), env, cliActor(env));
  const json = wantsJson(argv);
  try {
    await buildProgram(ctx, { json }).parseAsync([...argv], { from: 'user' });
    return ctx.exitCode;
  } catch (error) {
    return reportError(error, output, json);
  }
}
