import type { Command } from 'commander';
import { resolveSettings } from '@silo/fleet';
import { pushCatalog } from '@silo/fleet/internal';
import { formatCount, formatDuration } from '@silo/fleet/format';
import { fleetSettings, type CliContext } from '../context';
import { plural } from '../format/values';
import { examples } from '../help';
import { whileWorking } from '../progress';

/** `silo catalog push`: the local catalog into the Turso database that will hold it from now on. */
export function registerCatalog(program: Command, ctx: CliContext): void {
  const catalog = program.command('catalog').summary('where the catalog lives').description('the catalog (the admin database of every instance) and where it lives');
  const push = catalog
    .command('push')
    .summary('copy the local catalog into the Turso database SILO_CATALOG_URL names')
    .description(
      'copy the local catalog (catalog.db in the data folder) into the empty Turso database that SILO_CATALOG_URL and ' +
        'SILO_CATALOG_AUTH_TOKEN name, checking every table\'s row count afterwards. Stop the app servers first; then restart them ' +
        'with the same variables, and each reads the catalog through an embedded replica.',
    )
    .option('--json', 'print the report as JSON')
    .action(async (options: { json?: boolean }, cmd: Command) => {
      const settings = resolveSettings(await fleetSettings(ctx, cmd));
      // A line on a terminal only, like every activity line: stderr of a script (or of --json) holds errors alone.
      const report = await whileWorking(ctx.output, 'Pushing the catalog to Turso…', () => pushCatalog(settings));
      if (options.json) return ctx.output.json(report);
      const tables = Object.entries(report.rows)
        .map(([table, rows]) => `${table} ${formatCount(rows)}`)
        .join(', ');
      ctx.output.print(`Pushed the catalog to Turso in ${formatDuration(report.durationMs)}: ${plural(report.instances, 'instance')} (rows: ${tables}).`);
      ctx.output.print('Start the app servers with SILO_CATALOG_URL and SILO_CATALOG_AUTH_TOKEN set; the local catalog.db is no longer used.');
    });
  examples(push, ['SILO_CATALOG_URL=libsql://silo-catalog-acme.turso.io SILO_CATALOG_AUTH_TOKEN=… silo catalog push']);
}
