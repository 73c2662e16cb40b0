import path from 'node:path';
import { formatBytes, type Fleet, type InstanceInfo } from '@silo/fleet';
import type { Command } from 'commander';
import { withFleet, type CliContext } from '../context';
import { CliFailure, EXIT, UsageError, reportError, wantsJson } from '../errors';
import { placed } from '../format/instances';
import { examples } from '../help';
import { clearProgress, whileWorking } from '../progress';
import { onInterrupt, signalWords, signalsDelivered } from '../interrupt';
import { AT_HELP, parseTime } from '../options';
import { namesFolder, somethingAt } from '../output-path';
import { exportToFile, exportToStdout } from '../export-file';

interface CloneOptions {
  region?: string;
  at?: number;
  displayName?: string;
  json?: boolean;
}

interface ExportOptions {
  output?: string;
  force?: boolean;
  json?: boolean;
}

interface ImportOptions {
  jurisdiction: string;
  region?: string;
  displayName?: string;
  json?: boolean;
}

/** `silo clone`, `export` and `import`: copies of an instance's database, in and out. */
export function registerTransfer(program: Command, ctx: CliContext): void {
  const clone = program
    .command('clone')
    .summary('copy an instance into a new one')
    .description("branch an instance into a new one in the same jurisdiction; the source keeps serving")
    .argument('<source>', 'instance to copy')
    .argument('[new-name]', 'name of the clone (default: <source>-copy)')
    .option('--region <id>', "a region of the source's jurisdiction (default: the source's region)")
    .option('--display-name <text>', 'a human name (default: "<source display name> (copy)")')
    .option('--at <time>', `the source as it was at this past moment (engines that keep history: turso): ${AT_HELP}`, (value: string) => parseTime(value))
    .option('--json', 'print the clone as JSON')
    .action(async (source: string, newName: string | undefined, options: CloneOptions, cmd: Command) => {
      const at = options.at === undefined ? undefined : new Date(options.at);
      await withFleet(ctx, cmd, async (fleet) => {
        const instance = await whileWorking(ctx.output, `Cloning ${source}…`, () =>
          fleet.clone(source, newName, { region: options.region, displayName: options.displayName, ...(at ? { at } : {}) }),
        );
        if (options.json) return ctx.output.json(instance);
        ctx.output.print(`Cloned "${source}" to ${placed(instance)}.`);
      });
    });
  examples(clone, ['silo clone acme', 'silo clone acme acme-staging --region eu-central', 'silo clone acme acme-before --at 2026-05-01T12:00:00Z', 'silo clone acme acme-hour-ago --at 1h']);

  const exp = program
    .command('export')
    .summary("write an instance's database to a file")
    .description("write a consistent SQLite snapshot of an instance's database to a file")
    .argument('<name>', 'instance name')
    .option('-o, --output <file>', 'where to write it (default: ./<name>.sqlite; a folder, or a path ending in /, gets <name>.sqlite inside; - for stdout)')
    .option('--force', 'overwrite the file if it exists')
    .option('--json', 'print { file, sizeBytes } as JSON')
    .action(async (name: string, options: ExportOptions, cmd: Command) => {
      await withFleet(ctx, cmd, async (fleet) => {
        // Unknown names fail here (exit code 3), before any file name is derived from them.
        const instance = fleet.require(name);
        if (options.output === '-') return exportToPipe(ctx, fleet, instance);
        if (options.output !== undefined && options.output.trim() === '') throw new UsageError('-o needs a file or a folder to write to (or - for stdout).', 'export');
        const output = options.output ?? `${instance.name}.sqlite`;
        let file = path.resolve(output);
        // Into the folder under the default name; a missing folder is made, as for any -o path.
        if (namesFolder(output)) file = path.join(file, `${instance.name}.sqlite`);
        // A dangling link counts: writing there would replace the link, as would any file.
        const replacing = somethingAt(file);
        if (replacing && !options.force) {
          throw new CliFailure(`${file} already exists; pass --force to overwrite it, or choose another file with -o.`, EXIT.failed, 'FILE_EXISTS');
        }
        const { sizeBytes } = await exportToFile(ctx.output, fleet, instance.name, file, { replacing });
        if (options.json) return ctx.output.json({ instance: instance.name, file, sizeBytes });
        ctx.output.print(`Exported "${instance.name}" to ${file} (${formatBytes(sizeBytes)}).`);
      });
    });
  examples(exp, ['silo export acme', 'silo export acme -o backups/', 'silo export acme -o - | gzip > acme.sqlite.gz', 'silo export acme -o backups/acme-2025-01-31.sqlite', 'silo export acme -o acme.sqlite --force']);

  const imp = program
    .command('import')
    .summary('create an instance from a SQLite file')
    .description('create an instance from a SQLite file (validated, and migrated to the latest schema)')
    .argument('<file>', 'a SQLite database, e.g. one made by `silo export`')
    .argument('<name>', 'name of the new instance')
    .requiredOption('--jurisdiction <id>', 'where its data must stay (e.g. eu, us)')
    .option('--region <id>', 'a region of that jurisdiction (default: its first region)')
    .option('--display-name <text>', 'a human name (default: the name)')
    .option('--json', 'print the new instance as JSON')
    .action(async (file: string, name: string, options: ImportOptions, cmd: Command) => {
      await withFleet(ctx, cmd, async (fleet) => {
        const { instance, lateSignal } = await importStoppable(ctx, fleet, name, file, options);
        if (options.json) ctx.output.json(instance);
        else ctx.output.print(`Imported ${file} as ${placed(instance)}, at schema version ${instance.schemaVersion}.`);
        if (lateSignal) ctx.output.note(`${signalWords(lateSignal)} came after the import had begun to put "${instance.name}" in place, so it finished: the instance was created.`);
      }, { createsFleet: true });
    });
  examples(imp, ['silo import acme.sqlite acme-restored --jurisdiction eu', 'silo import dump.sqlite initech --jurisdiction us --region us-east']);
}

/**
 * `silo import` under Ctrl+C (or SIGTERM): the signal aborts the fleet's import, which stops
 * before its next step (the copy, the check, putting the database in place) and leaves nothing:
 * no catalog row, no files, the name free. The command then says so and exits 130. A signal
 * that comes once the database is being put in place lets the import finish (`lateSignal`);
 * a second signal exits at once, as a stuck copy must still be stoppable.
 */
async function importStoppable(ctx: CliContext, fleet: Fleet, name: string, file: string, options: ImportOptions): Promise<{ instance: InstanceInfo; lateSignal: NodeJS.Signals | undefined }> {
  const stop = new AbortController();
  let interrupted: NodeJS.Signals | undefined;
  const stopListening = onInterrupt((signal) => {
    if (interrupted) {
      clearProgress();
      const words = `${signalWords(signal)} again: stopped at once, mid-import; "${name}" may be left as a failed instance (importing or creating that name again replaces it).`;
      process.exit(reportError(new CliFailure(words, EXIT.interrupted, 'INTERRUPTED'), ctx.output, wantsJson(process.argv.slice(2))));
    }
    interrupted = signal;
    stop.abort(new Error(`${signalWords(signal)}: the import was interrupted.`));
  });
  try {
    let instance: InstanceInfo;
    try {
      // Checked, copied and migrated: seconds for a large file.
      instance = await whileWorking(ctx.output, `Importing ${file}…`, () =>
        fleet.importFile(name, path.resolve(file), {
          jurisdiction: options.jurisdiction,
          region: options.region,
          displayName: options.displayName,
          signal: stop.signal,
        }),
      );
    } catch (error) {
      // Ctrl+C reaches the check process too: its end may be seen before the signal here.
      await signalsDelivered();
      // A stopped (or refused) import leaves no row and no files; anything else is told as it is.
      if (interrupted && noInstanceNamed(fleet, name)) throw new CliFailure(`${signalWords(interrupted)}: Import stopped; nothing was created.`, EXIT.interrupted, 'INTERRUPTED');
      throw error;
    }
    await signalsDelivered();
    return { instance, lateSignal: interrupted };
  } finally {
    stopListening();
  }
}

/** Whether the catalog holds no instance of `name`, in any state (false when it cannot be read). */
function noInstanceNamed(fleet: Fleet, name: string): boolean {
  try {
    return fleet.find(name) === undefined;
  } catch {
    return false;
  }
}

/**
 * `-o -`: the snapshot's bytes on stdout, for a pipe (gzip, ssh, aws s3 cp -). A terminal is
 * refused: a database shown there is noise, and its bytes would act on it.
 */
async function exportToPipe(ctx: CliContext, fleet: Fleet, instance: InstanceInfo): Promise<void> {
  if (process.stdout.isTTY) {
    throw new CliFailure('Not writing a database to the terminal: pipe or redirect it (silo export acme -o - > acme.sqlite), or name a file with -o.', EXIT.usage, 'USAGE');
  }
  const { sizeBytes } = await exportToStdout(ctx.output, fleet, instance);
  ctx.output.note(`Exported "${instance.name}" to stdout (${formatBytes(sizeBytes)}).`);
}
