import path from 'node:path';
import type { Command } from 'commander';
import { formatBytes, type ResidencyListing } from '@silo/fleet';
import { withFleet, type CliContext } from '../context';
import { EXIT, UsageError } from '../errors';
import type { Style } from '../format/style';
import { renderTable } from '../format/table';
import { plural } from '../format/values';
import { examples } from '../help';
import { kindOf } from '../output-path';
import { progressBar, type Progress } from '../progress';

interface ResidencyCliOptions {
  instance?: string;
  json?: boolean;
  report?: boolean;
  output?: string;
}

/** `silo residency`: where every byte of an instance (or the fleet) lives, with the residency checks. */
export function registerResidency(program: Command, ctx: CliContext): void {
  const residency = program
    .command('residency')
    .summary('show where every byte of each instance lives, and check it stays in its jurisdiction')
    .description(
      'walk every region folder, staging folder and backup location (folder or S3) and list, per instance, every place holding its bytes with the jurisdiction the configuration gives it and the filesystem it is on; fails (exit 1) on bytes in another jurisdiction or files of no instance, warns when jurisdictions share a filesystem',
    )
    .option('--instance <name>', 'only this instance (orphans are checked for the whole fleet only)')
    .option('--json', 'print the listing as JSON')
    .option('--report', 'write a timestamped JSON and Markdown report with the SHA-256 of the listing (recorded in the audit log)')
    .option('-o, --output <dir>', 'the folder for --report (default: the current folder)')
    .action(async (options: ResidencyCliOptions, cmd: Command) => {
      // Commander can say two options conflict, not that one needs another.
      if (options.output !== undefined && !options.report) throw new UsageError('-o/--output is the folder for --report; add --report, or leave -o out.', 'residency');
      // The report is two files, so -o is a folder (made if missing), never a file.
      if (options.output !== undefined && kindOf(options.output) === 'file') {
        throw new UsageError(`-o ${options.output} is a file; --report writes its JSON and Markdown files into a folder: name one (it is made if missing).`, 'residency');
      }
      await withFleet(ctx, cmd, async (fleet) => {
        // The fleet says how many folders and buckets it walks once it starts.
        let bar: Progress | undefined;
        const onProgress = (done: number, total: number, what: string): void => {
          bar ??= progressBar(ctx.output, total, 'Walking {bar} {value}/{total} places {what}', { what: '' });
          bar.update(done, { what: path.basename(what) });
        };
        const scope = { ...(options.instance ? { instance: options.instance } : {}), onProgress };
        let listing: ResidencyListing;
        let written: { json: string; markdown: string; sha256: string } | undefined;
        try {
          if (options.report) {
            const result = await fleet.residencyReport(path.resolve(options.output ?? '.'), { ...scope, actor: ctx.actor });
            listing = result.listing;
            written = result;
          } else {
            listing = await fleet.residency(scope);
          }
        } finally {
          bar?.stop();
        }
        if (!listing.ok) ctx.exitCode = EXIT.failed;
        if (options.json) return ctx.output.json(written ? { ...listing, report: written } : listing);
        ctx.output.print(renderResidency(listing, ctx.output.style));
        if (written) {
          ctx.output.print(`Report written: ${written.json}`);
          ctx.output.print(`                ${written.markdown}`);
          ctx.output.print(`SHA-256 of the listing: ${written.sha256} (recorded in the audit log)`);
        }
      });
    });
  examples(residency, ['silo residency', 'silo residency --instance acme', 'silo residency --json', 'silo residency --report -o /srv/audit']);
}

export function renderResidency(listing: ResidencyListing, style: Style): string {
  const out: string[] = [];
  out.push(style.bold(listing.instance ? `Residency of ${listing.instance}` : 'Residency of the fleet'));
  out.push('');
  out.push(
    renderTable(
      ['Folder', 'Role', 'Region', 'Jurisdiction', 'Device', 'Mount', 'Filesystem'],
      [
        ...listing.folders.map((folder) => [
          folder.path,
          folder.role,
          folder.region ?? '—',
          folder.jurisdiction ?? '—',
          folder.filesystem.device,
          folder.filesystem.mountPoint ?? '?',
          `${folder.filesystem.fsType ?? '?'} ${folder.filesystem.source ?? ''}`.trim(),
        ]),
        ...listing.buckets.map((bucket) => [bucket.location, 'backups (S3)', bucket.region, bucket.jurisdiction, '—', '—', `${bucket.objects} objects, ${formatBytes(bucket.bytes)}`]),
      ],
      { style },
    ),
  );
  for (const instance of listing.instances) {
    out.push('');
    const lineage = [instance.clonedFrom ? `cloned from ${instance.clonedFrom}` : '', instance.clones.length > 0 ? `clones: ${instance.clones.join(', ')}` : ''].filter(Boolean).join('; ');
    out.push(`${style.bold(instance.name)}  ${instance.jurisdiction} · ${instance.region} · ${instance.state} · ${instance.dbUrl}${lineage ? ` · ${lineage}` : ''}`);
    if (instance.places.length === 0) {
      out.push('  (no bytes found)');
      continue;
    }
    out.push(
      renderTable(
        ['Kind', 'Location', 'Jurisdiction', 'Files', 'Bytes'],
        instance.places.map((place) => [
          place.kind,
          place.tursoLocations ? `${place.location} (locations: ${place.tursoLocations.join(', ')})` : place.location,
          place.jurisdiction === instance.jurisdiction ? (place.jurisdiction ?? '—') : style.red(place.jurisdiction ?? 'none'),
          String(place.files),
          formatBytes(place.bytes),
        ]),
        { style, align: ['left', 'left', 'left', 'right', 'right'] },
      ),
    );
  }
  if (listing.awaitingErasure.length > 0) {
    out.push('', 'Backups of purged instances, awaiting erasure by retention:');
    out.push(
      renderTable(
        ['Location', 'Jurisdiction', 'Files', 'Bytes'],
        listing.awaitingErasure.map((entry) => [entry.location, entry.jurisdiction ?? '—', String(entry.files), formatBytes(entry.bytes)]),
        { style, align: ['left', 'left', 'right', 'right'] },
      ),
    );
  }
  if (listing.inFlight.length > 0) {
    out.push('', `Operations in flight: ${listing.inFlight.map((entry) => `${entry.name || '(unnamed)'} at ${entry.location} (${entry.jurisdiction ?? 'none'})`).join('; ')}`);
  }
  out.push('');
  for (const violation of listing.violations) {
    out.push(style.red(`VIOLATION: ${formatBytes(violation.bytes)} of ${violation.instance} (jurisdiction ${violation.instanceJurisdiction}) at ${violation.location}, a place of jurisdiction ${violation.placeJurisdiction ?? 'none'}.`));
  }
  for (const orphan of listing.orphans) {
    out.push(style.red(`ORPHAN: ${orphan.location} (${formatBytes(orphan.bytes)}, jurisdiction ${orphan.jurisdiction ?? 'none'}): ${orphan.reason}.`));
  }
  for (const warning of listing.warnings) out.push(style.yellow(`WARNING (${warning.code}): ${warning.message}`));
  out.push(
    listing.ok
      ? style.green(`OK: every byte found is in a place of its own jurisdiction; nothing is an orphan${listing.warnings.length > 0 ? ` (${plural(listing.warnings.length, 'warning')})` : ''}.`)
      : style.red(`FAILED: ${plural(listing.violations.length, 'violation')}, ${plural(listing.orphans.length, 'orphan')}.`),
  );
  return out.join('\n');
}
