import type { Command } from 'commander';
import { type DoctorReport } from '@silo/fleet';
import { LocalEngine, STARTUP_CHECK_DEPTH, loosePermissionsMessage, type PermissionReport } from '@silo/fleet/internal';
import { withFleet, type CliContext } from '../context';
import { EXIT } from '../errors';
import type { Style } from '../format/style';
import { findingsText, plural } from '../format/values';
import { examples } from '../help';

interface DoctorOptions {
  scan?: boolean;
  markOrphanBackups?: boolean;
  deep?: boolean;
  json?: boolean;
  fixPermissions?: boolean;
}

/** `silo doctor`: reconcile the catalog with the files and report what was fixed and what needs a human. */
export function registerDoctor(program: Command, ctx: CliContext): void {
  const doctor = program
    .command('doctor')
    .summary('check and repair the fleet')
    .description('reconcile the catalog with the database files, and report what was fixed and what remains')
    .option('--scan', 'also walk the region folders: remove leftovers, report orphan and missing files')
    .option('--deep', 'also run SQLite integrity checks and re-read every schema version (not only those behind), size and app metrics (implies --scan)')
    .option('--fix-permissions', 'make every folder of the fleet 0700 and every file 0600 (owner only)')
    .option('--mark-orphan-backups', 'mark backup sets of instances the catalog does not know (and no purge marked) for removal after the purge retention; audited (implies --scan)')
    .option('--json', 'print the report as JSON')
    .action(async (options: DoctorOptions, cmd: Command) => {
      // Opening would already reconcile (silently); doctor does it itself so the report shows it.
      await withFleet(
        ctx,
        cmd,
        async (fleet) => {
          const mark = options.markOrphanBackups ?? false;
          const report = await fleet.doctor({ scanFiles: (options.scan ?? false) || mark, deep: options.deep ?? false, markOrphanBackups: mark, behindVersions: true });
          const scanned = Boolean(options.scan || options.deep || mark);
          // Every file with --scan, --deep or --fix-permissions; the top levels (as on open) otherwise.
          const permissions = fleet.checkPermissions({
            fix: options.fixPermissions ?? false,
            ...(scanned || options.fixPermissions ? {} : { depth: STARTUP_CHECK_DEPTH }),
          });
          if (needsAttention(report) || permissions.loose > permissions.fixed) ctx.exitCode = EXIT.failed;
          if (options.json) return ctx.output.json({ ...report, permissions });
          const scope = options.deep ? 'files scanned, integrity checked' : scanned ? 'files scanned' : 'catalog only; add --scan to check files';
          ctx.output.print(`Checked the fleet in ${fleet.settings.dataDir} (${scope}).`);
          const engine = fleet.engine;
          const fileOf = engine instanceof LocalEngine ? (url: string) => engine.pathOf(url) : undefined;
          const failed = fleet.list({ state: 'failed', limit: 0 }).total;
          ctx.output.print(renderDoctorReport(report, ctx.output.style, { scanned, deep: Boolean(options.deep), failed }, fileOf));
          ctx.output.print(renderPermissions(permissions, ctx.output.style));
        },
        { reconcileOnOpen: false, checkPermissionsOnOpen: false },
      );
    });
  examples(doctor, ['silo doctor', 'silo doctor --scan', 'silo doctor --deep --json', 'silo doctor --fix-permissions', 'silo doctor --mark-orphan-backups']);
}

/** One line: owner-only, fixed, or how many are loose and how to fix them. */
export function renderPermissions(report: PermissionReport & { roots: readonly string[] }, style: Style): string {
  if (report.loose === 0) return style.green('File permissions: owner-only (folders 0700, files 0600).');
  if (report.fixed === report.loose) return style.yellow(`File permissions: ${plural(report.fixed, 'file or folder', 'files or folders')} made owner-only.`);
  return style.red(`File permissions: ${loosePermissionsMessage(report, report.roots)}`);
}

/** Problems doctor reports but cannot fix on its own. */
export function needsAttention(report: DoctorReport): boolean {
  return (
    report.orphans.length > 0 ||
    report.missing.length > 0 ||
    report.integrity.length > 0 ||
    report.purgeFailures.length > 0 ||
    unmarkedOrphanBackups(report) > 0 ||
    (report.backupScanFailures?.length ?? 0) > 0
  );
}

/** Orphan backup sets found and not marked by this run. */
function unmarkedOrphanBackups(report: DoctorReport): number {
  return report.orphanBackupsMarked ? 0 : (report.orphanBackups?.length ?? 0);
}

export function renderDoctorReport(
  report: DoctorReport,
  style: Style,
  scope: { scanned: boolean; deep: boolean; failed?: number },
  fileOf: (url: string) => string = (url) => url,
): string {
  const lines: string[] = [];
  const section = (label: string, items: readonly string[], kind: 'fixed' | 'problem', applies = true): void => {
    // One column past the longest label: a label as long as the column ran into its value.
    const head = `  ${label.padEnd(38)} `;
    if (!applies) lines.push(`${head}${style.dim('not checked')}`);
    else if (items.length === 0) lines.push(`${head}${style.dim('none')}`);
    else {
      const count = String(items.length);
      lines.push(`${head}${kind === 'problem' ? style.red(count) : style.yellow(count)}`);
      for (const item of items) lines.push(`    ${item}`);
    }
  };
  section('interrupted operations resolved', report.interrupted.map((entry) => `${entry.instance} (marked failed, files removed)`), 'fixed');
  section('interrupted moves rolled back', report.movesRolledBack.map((name) => `${name} (served from its local file again)`), 'fixed');
  section('interrupted purges finished', report.purgesCompleted, 'fixed');
  section('expired deletions purged', report.purgedExpired, 'fixed');
  section('purges not finished', report.purgeFailures.map((entry) => `${entry.name}: ${entry.error}`), 'problem');
  // Staging is swept at every reconciliation; the rest of the files only with --scan.
  section('leftover files removed', report.leftoversRemoved, 'fixed', scope.scanned || report.leftoversRemoved.length > 0);
  section('schema versions corrected', report.versionsCorrected.map((entry) => `${entry.instance}: ${entry.from} → ${entry.to}`), 'fixed');
  section('orphan database files', report.orphans.map((url) => displayPath(url, fileOf)), 'problem', scope.scanned);
  section('instances missing their database', report.missing, 'problem', scope.scanned);
  section('databases back, instances ready again', report.recovered, 'fixed', scope.scanned);
  const orphanSets = (report.orphanBackups ?? []).map((set) => `${set.location}/instances/${set.instanceId} (${set.name ?? 'name unknown'}, ${plural(set.points, 'point')})`);
  if (report.orphanBackupsMarked) section('orphan backup sets marked', orphanSets, 'fixed', scope.scanned);
  else section('orphan backup sets (no purge marker)', orphanSets, 'problem', scope.scanned);
  if ((report.backupScanFailures?.length ?? 0) > 0) section('backup locations not readable', report.backupScanFailures ?? [], 'problem');
  section('integrity problems', report.integrity.map((entry) => `${entry.instance}: ${findingsText(entry.problems, 5)}`), 'problem', scope.deep);

  lines.push('');
  // Not a problem to act on (the name is free again), but not to be hidden either.
  const failed = scope.failed ?? 0;
  if (failed > 0) {
    lines.push(
      `${plural(failed, 'instance')} failed (a create, clone, import or restore that did not finish, or a database file lost): \`silo instances list --state failed\` shows why. A create, clone or import of the name replaces one; \`silo purge <name>\` removes one for good.`,
    );
  }
  if (!needsAttention(report)) {
    lines.push(style.green('No problems need attention.'));
  } else {
    if (report.orphans.length > 0) {
      lines.push(`${plural(report.orphans.length, 'orphan file')}: never deleted automatically. Import one with \`silo import <file> <name> --jurisdiction <id>\`, or remove it by hand.`);
    }
    if (report.missing.length > 0) {
      const one = report.missing.length === 1;
      lines.push(
        `${plural(report.missing.length, 'instance')} ${one ? 'has' : 'have'} lost ${one ? 'its database file and is' : 'their database files and are'} marked failed. If the files come back (a volume not mounted, a file moved by hand), the next \`silo doctor --scan\` makes ${one ? 'it' : 'them'} ready again. Otherwise restore from a backup (\`silo restore <name> --as <new-name>\`); purge (\`silo purge <name>\`) only what is gone for good.`,
      );
    }
    if (unmarkedOrphanBackups(report) > 0) {
      lines.push(`${plural(unmarkedOrphanBackups(report), 'backup set')} of instances the catalog does not know carry no purge marker, so nothing erases them: \`silo doctor --mark-orphan-backups\` marks them for removal after the purge retention.`);
    }
    if (report.integrity.length > 0) {
      lines.push(`${plural(report.integrity.length, 'instance')} failed the integrity check: export what can be read (\`silo export <name>\`) and restore from a backup.`);
    }
  }
  return lines.join('\n');
}

/** Orphans are shown as files an operator can find, when the engine keeps files. */
function displayPath(url: string, fileOf: (url: string) => string): string {
  try {
    return `${url} (${fileOf(url)})`;
  } catch {
    return url;
  }
}
