import type { AuditLog } from '../audit-log';
import type { Catalog } from '../catalog/catalog';
import type { FleetSettings } from '../config';
import { SecretScrubber, TursoPlatform } from '../engines/turso-shared';
import { buildResidency, type ResidencyHost, type ResidencyListing, type ResidencyOptions } from './residency';
import { residencyReportFile, writeResidencyReport, type ResidencyReportFile, type WrittenReport } from './report';

/** What the fleet lends the residency listing: its settings and catalog, read only, and its audit log for the reports. */
export interface ResidencyParts {
  readonly settings: FleetSettings;
  readonly catalog: Catalog;
  readonly audit: AuditLog;
}

function hostOf(parts: ResidencyParts): ResidencyHost {
  const turso = parts.settings.turso;
  let platform: TursoPlatform | undefined;
  return {
    settings: parts.settings,
    instances: () => [...parts.catalog.each({})],
    knownIds: () => parts.catalog.knownInstanceIds(),
    statementTexts: (instance) =>
      parts.catalog.audits.query({ operation: 'query (write)', limit: 1, ...(instance ? { instance } : {}) }).total +
      (instance ? 0 : parts.catalog.audits.query({ operation: 'query (fleet)', limit: 1 }).total),
    clock: Date.now,
    ...(turso
      ? {
          // The Platform API client the engine uses, for the group's locations as Turso reports them.
          tursoGroupLocations: async (group: string) => {
            platform ??= new TursoPlatform({ org: turso.org, apiToken: turso.apiToken, apiUrl: turso.apiUrl, scrubber: new SecretScrubber() });
            return (await platform.groupLocations(group)).locations;
          },
        }
      : {}),
  };
}

export function listResidency(parts: ResidencyParts, options: ResidencyOptions): Promise<ResidencyListing> {
  return buildResidency(hostOf(parts), options);
}

/** Builds the listing, writes the report files and records the report (who, hash, result) in the audit log. */
export async function reportResidency(
  parts: ResidencyParts,
  dir: string,
  options: ResidencyOptions & { actor: string },
): Promise<WrittenReport & { listing: ResidencyListing }> {
  const listing = await buildResidency(hostOf(parts), options);
  const written = writeResidencyReport(listing, dir, options.actor);
  auditReport(parts, listing, written.sha256, options, written.json);
  return { ...written, listing };
}

/** The report as a document to hand over (the admin console's download), recorded in the audit log like a written one. */
export async function residencyDocument(parts: ResidencyParts, options: ResidencyOptions & { actor: string }): Promise<ResidencyReportFile> {
  const listing = await buildResidency(hostOf(parts), options);
  const report = residencyReportFile(listing, options.actor);
  auditReport(parts, listing, report.sha256, options, null);
  return report;
}

function auditReport(parts: ResidencyParts, listing: ResidencyListing, sha256: string, options: ResidencyOptions & { actor: string }, file: string | null): void {
  parts.audit.record({
    actor: options.actor,
    operation: 'residency-report',
    instance: options.instance ?? null,
    outcome: 'ok',
    error: null,
    detail: {
      sha256,
      file,
      ok: listing.ok,
      violations: listing.violations.length,
      orphans: listing.orphans.length,
      warnings: listing.warnings.length,
    },
  });
}
