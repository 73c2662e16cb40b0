import { existsSync } from 'node:fs';
import type { Command, Option } from 'commander';
import { loadSiloConfig, openFleet } from '@silo/fleet';
import type { CliContext, GlobalOptions } from '../context';
import { UsageError } from '../errors';
import { examples } from '../help';

/**
 * Shell completion (docs/decisions/0028-cli-completion.md): each shell's script calls
 * the hidden `silo __complete -- <words>`, which walks this program's own command tree, so
 * completion never drifts from the commands, and reads instance names from the fleet.
 */

const SCRIPTS = {
  bash: `# silo completion for bash: add to ~/.bashrc
#   source <(silo completion bash)
_silo_complete() {
  local IFS=$'\\n'
  COMPREPLY=($(silo __complete -- "\${COMP_WORDS[@]:1:COMP_CWORD}" 2>/dev/null))
}
complete -o default -F _silo_complete silo
`,
  zsh: `#compdef silo
# silo completion for zsh: add to ~/.zshrc (after compinit)
#   source <(silo completion zsh)
_silo() {
  local -a candidates
  candidates=("\${(@f)$(silo __complete -- "\${(@)words[2,CURRENT]}" 2>/dev/null)}")
  compadd -a candidates
}
compdef _silo silo
`,
  fish: `# silo completion for fish: save as ~/.config/fish/completions/silo.fish
#   silo completion fish > ~/.config/fish/completions/silo.fish
complete -c silo -f -a '(silo __complete -- (commandline -opc)[2..-1] (commandline -ct) 2>/dev/null)'
`,
} as const;

type ShellName = keyof typeof SCRIPTS;

/** Arguments and options whose values are instance names. */
const INSTANCE_ARGUMENTS = new Set(['name', 'instance', 'instances', 'source']);
const INSTANCE_OPTIONS = new Set(['--instance']);

export function registerCompletion(program: Command, ctx: CliContext): void {
  const completion = program
    .command('completion')
    .summary('print the shell completion script (bash, zsh, fish)')
    .description('print a completion script for bash, zsh or fish: commands, options and instance names complete on Tab')
    .argument('<shell>', 'bash, zsh or fish')
    .action((shell: string) => {
      if (!(shell in SCRIPTS)) throw new UsageError(`No completion for "${shell}": use bash, zsh or fish.`, 'completion');
      ctx.output.write(SCRIPTS[shell as ShellName]);
    });
  examples(completion, ['source <(silo completion bash)', 'source <(silo completion zsh)', 'silo completion fish > ~/.config/fish/completions/silo.fish']);

  program
    .command('__complete', { hidden: true })
    .description('the candidates for the last word of a command line (for the completion scripts)')
    .argument('[words...]', 'the words after `silo`, the last one being completed')
    .action(async (words: string[], _options: unknown, cmd: Command) => {
      // `silo --data-dir x __complete -- …` (a wrapper's own flags) counts like flags among the words.
      const globals = cmd.optsWithGlobals<GlobalOptions>();
      for (const candidate of await candidates(program, ctx, words, globals)) ctx.output.print(candidate);
    });
}

/** What may follow `silo <words without the last>`, starting with the last word. */
export async function candidates(program: Command, ctx: CliContext, words: readonly string[], globals: GlobalOptions = {}): Promise<string[]> {
  const current = words.at(-1) ?? '';
  const before = words.slice(0, -1);
  let command = program;
  let positional = 0;
  for (let index = 0; index < before.length; index++) {
    const word = before[index] ?? '';
    if (word.startsWith('-')) {
      // An option that takes a value swallows the next word.
      if (!word.includes('=') && optionOf(command, word)?.required) index++;
      continue;
    }
    const sub = command.commands.find((candidate) => candidate.name() === word || candidate.aliases().includes(word));
    if (sub && positional === 0) command = sub;
    else positional++;
  }
  const previous = before.at(-1);
  const previousOption = previous?.startsWith('-') ? optionOf(command, previous) : undefined;
  if (previousOption?.required) {
    return previous && INSTANCE_OPTIONS.has(previous) ? instanceNames(ctx, words, current, globals) : [];
  }
  if (current.startsWith('-')) {
    const options = [...command.options, ...(command === program ? [] : program.options)].filter((option) => !option.hidden);
    return options.flatMap((option) => [option.long, option.short]).filter((flag): flag is string => flag !== undefined && flag.startsWith(current)).sort();
  }
  const subcommands = command.createHelp().visibleCommands(command).filter((sub) => sub.name() !== 'help');
  if (subcommands.length > 0 && positional === 0) {
    return subcommands.map((sub) => sub.name()).filter((name) => name.startsWith(current)).sort();
  }
  const argument = command.registeredArguments[Math.min(positional, command.registeredArguments.length - 1)];
  if (argument && INSTANCE_ARGUMENTS.has(argument.name())) return instanceNames(ctx, words, current, globals);
  return [];
}

function optionOf(command: Command, flag: string): Option | undefined {
  const parents: Command[] = [];
  for (let at: Command | null = command; at; at = at.parent) parents.push(at);
  return parents.flatMap((at) => at.options).find((option) => option.long === flag || option.short === flag);
}

/** Instance names starting with `prefix`, from the fleet the typed words name; none when it cannot be opened. */
async function instanceNames(ctx: CliContext, words: readonly string[], prefix: string, globals: GlobalOptions): Promise<string[]> {
  const valueOf = (flag: string): string | undefined => {
    const index = words.indexOf(flag);
    return index === -1 ? undefined : words[index + 1];
  };
  try {
    const config = valueOf('--config') ?? globals.config;
    const loaded = await loadSiloConfig({ cwd: ctx.cwd, env: ctx.env, ...(config ? { path: config } : {}) });
    const dataDir = valueOf('--data-dir') ?? globals.dataDir ?? loaded.fleet.dataDir;
    // Completing must never create a fleet where there is none.
    if (!existsSync(dataDir)) return [];
    const fleet = await openFleet({ ...loaded.fleet, dataDir, actor: ctx.actor, reconcileOnOpen: false, checkPermissionsOnOpen: false, warn: () => undefined });
    try {
      const page = fleet.list({ search: prefix || undefined, sort: 'name', limit: 1_000 });
      return page.items.map((item) => item.name).filter((name) => name.startsWith(prefix));
    } finally {
      await fleet.close();
    }
  } catch {
    // A completion that fails offers nothing rather than printing an error into the prompt.
    return [];
  }
}
