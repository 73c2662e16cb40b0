import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import type { CliContext } from './context';
import { cliEnvironmentHelp } from '@silo/fleet/internal';
import { commanderMessage } from './errors';
import { examples } from './help';
import { registerAdmin } from './commands/admin';
import { registerAudit } from './commands/audit';
import { registerBackup } from './commands/backup';
import { registerCatalog } from './commands/catalog';
import { registerCompletion } from './commands/completion';
import { registerDemo } from './commands/demo';
import { registerDoctor } from './commands/doctor';
import { registerInstances } from './commands/instances';
import { registerLifecycle } from './commands/lifecycle';
import { registerMigrate } from './commands/migrate';
import { registerMove } from './commands/move';
import { registerQuery } from './commands/query';
import { registerResidency } from './commands/residency';
import { registerServe } from './commands/serve';
import { registerShell } from './commands/shell';
import { registerToken } from './commands/token';
import { registerTransfer } from './commands/transfer';

function packageVersion(): string {
  const manifest: unknown = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
  const version = typeof manifest === 'object' && manifest !== null && 'version' in manifest ? manifest.version : undefined;
  return typeof version === 'string' ? version : '0.0.0';
}

/** The `silo` command tree. Commander never exits the process: errors come back to `run()`. */
export function buildProgram(ctx: CliContext, options: { json?: boolean } = {}): Command {
  const program = new Command('silo');
  program
    .description('Silo: one SQLite database per tenant. Create, inspect, query, migrate and repair the fleet.')
    .version(packageVersion(), '-V, --version', 'print the version')
    .option('--config <file>', "the app's config (default: $SILO_CONFIG, else the nearest silo.config.ts from here up)")
    .option('--data-dir <dir>', "the fleet folder (default: $SILO_DATA_DIR, else the config's dataDir, else data beside the config)")
    .helpOption('-h, --help', 'show help for a command')
    // Settings inherited by every subcommand added below.
    .exitOverride()
    .configureOutput({
      writeOut: (text) => void ctx.output.stdout.write(text),
      writeErr: (text) => void ctx.output.stderr.write(text),
      // With --json, run() reports commander's errors as JSON instead: stderr stays parseable.
      outputError: (text, write) => {
        if (!options.json) write(`${ctx.output.errStyle.red('silo:')} ${commanderMessage(text)} [USAGE]\n`);
      },
    })
    .showHelpAfterError(options.json ? false : "Run 'silo <command> --help' for usage.")
    .showSuggestionAfterError(true)
    .allowExcessArguments(false);

  registerInstances(program, ctx);
  registerLifecycle(program, ctx);
  registerTransfer(program, ctx);
  registerQuery(program, ctx);
  registerShell(program, ctx);
  registerMigrate(program, ctx);
  registerMove(program, ctx);
  registerCatalog(program, ctx);
  registerDoctor(program, ctx);
  registerBackup(program, ctx);
  registerAudit(program, ctx);
  registerResidency(program, ctx);
  registerDemo(program, ctx);
  registerAdmin(program, ctx);
  registerToken(program, ctx);
  registerServe(program, ctx);
  registerCompletion(program, ctx);

  program.addHelpText(
    'after',
    `
Config:
  silo.config.ts (or .mts, .mjs, .js, .json) holds the app's tenant schema, metrics and app URL,
  and may hold the settings below; found in the working folder or the nearest folder above it.
  Environment variables override the file; --data-dir overrides both.

Environment (each checked at start-up; the README's Configuration tables say more):
${cliEnvironmentHelp([['NO_COLOR', 'no colours (they are off anyway when output is not a terminal)']])}

Exit codes: 0 ok · 1 the operation failed · 2 usage error (a bad flag or argument, an invalid instance name) · 3 instance not found · 130 interrupted (Ctrl+C)`,
  );
  examples(program, [
    'silo demo',
    'silo instances list --jurisdiction eu',
    'silo create acme --jurisdiction eu',
    `silo query acme "SELECT name FROM sqlite_schema WHERE type = 'table'"`,
    'silo migrate --status',
    'silo --data-dir /srv/silo doctor --scan',
    'silo --config ../my-app/silo.config.ts instances list',
  ]);
  return program;
}
