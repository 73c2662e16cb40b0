import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { formatBytes } from '../format';
import { makePrivateDir } from '../permissions';
import { residencyHash, type ResidencyListing } from './residency';

/** What `silo residency --report` writes: the listing, and the SHA-256 over it. */
export interface ResidencyReportFile {
  readonly kind: 'silo-residency-report';
  readonly algorithm: 'sha256';
  /** How the hash is computed, so anyone can check it without Silo. */
  readonly hashOf: string;
  readonly sha256: string;
  readonly producedBy: string;
  readonly listing: ResidencyListing;
}

export interface WrittenReport {
  readonly json: string;
  readonly markdown: string;
  readonly sha256: string;
}

/**
 * Writes `residency-<UTC time>.json` (the listing and its hash) and `.md` (the same for a
 * human reader, the hash in its heading) into `dir`, owner-only.
 */
export function writeResidencyReport(listing: ResidencyListing, dir: string, producedBy: string): WrittenReport {
  const report = residencyReportFile(listing, producedBy);
  const stamp = residencyStamp(listing);
  makePrivateDir(dir);
  const json = path.join(dir, `residency-${stamp}.json`);
  const markdown = path.join(dir, `residency-${stamp}.md`);
  writeFileSync(json, `${JSON.stringify(report, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
  writeFileSync(markdown, residencyMarkdown(listing, report.sha256, producedBy), { mode: 0o600, flag: 'wx' });
  return { json, markdown, sha256: report.sha256 };
}

/** The report document: the listing and the SHA-256 over it. */
export function residencyReportFile(listing: ResidencyListing, producedBy: string): ResidencyReportFile {
  return {
    kind: 'silo-residency-report',
    algorithm: 'sha256',
    hashOf: 'the UTF-8 bytes of JSON.stringify(listing), i.e. the "listing" member re-serialised without spaces',
    sha256: residencyHash(listing),
    producedBy,
    listing,
  };
}

/** `2026-12-03T07-06-30-870Z`: the listing's time, safe in a file name. */
export function residencyStamp(listing: ResidencyListing): string {
  return listing.generatedAt.replace(/[:.]/g, '-');
}

function cell(text: string | number | null): string {
  return String(text ?? '—').replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

export function residencyMarkdown(listing: ResidencyListing, sha256: string, producedBy: string): string {
  const lines: string[] = [];
  lines.push(`# Silo residency report${listing.instance ? `: ${listing.instance}` : ''}`, '');
  lines.push(`- Generated: ${listing.generatedAt}`, `- Produced by: ${producedBy}`, `- SHA-256 of the listing: \`${sha256}\``);
  lines.push(`- Result: ${listing.ok ? 'PASS: every byte found is in a place of its own jurisdiction, and nothing is an orphan' : `FAIL: ${listing.violations.length} violation(s), ${listing.orphans.length} orphan(s)`}`, '');
  lines.push('To verify: compute the SHA-256 of `JSON.stringify(report.listing)` of the JSON file beside this page; it must equal the hash above and the one the audit log recorded.', '');
  if (listing.violations.length > 0) {
    lines.push('## Violations', '', '| Instance | Its jurisdiction | Found at | Jurisdiction there | Bytes |', '|---|---|---|---|---|');
    for (const v of listing.violations) lines.push(`| ${cell(v.instance)} | ${cell(v.instanceJurisdiction)} | ${cell(v.location)} | ${cell(v.placeJurisdiction)} | ${v.bytes} |`);
    lines.push('');
  }
  if (listing.orphans.length > 0) {
    lines.push('## Orphans (bytes of no instance)', '', '| Location | Jurisdiction | Bytes | Why |', '|---|---|---|---|');
    for (const o of listing.orphans) lines.push(`| ${cell(o.location)} | ${cell(o.jurisdiction)} | ${o.bytes} | ${cell(o.reason)} |`);
    lines.push('');
  }
  if (listing.warnings.length > 0) {
    lines.push('## Warnings', '');
    for (const w of listing.warnings) lines.push(`- **${w.code}**: ${w.message}`);
    lines.push('');
  }
  lines.push('## Storage', '', '| Folder | Role | Region | Jurisdiction | Device | Mount point | Filesystem |', '|---|---|---|---|---|---|---|');
  for (const f of listing.folders) {
    lines.push(`| ${cell(f.path)} | ${f.role} | ${cell(f.region)} | ${cell(f.jurisdiction)} | ${f.filesystem.device} | ${cell(f.filesystem.mountPoint)} | ${cell(f.filesystem.fsType)} (${cell(f.filesystem.source)}) |`);
  }
  for (const b of listing.buckets) lines.push(`| ${cell(b.location)} | backups (S3) | ${b.region} | ${b.jurisdiction} | — | — | ${b.objects} objects, ${formatBytes(b.bytes)} |`);
  lines.push('');
  lines.push('## Instances', '');
  for (const instance of listing.instances) {
    lines.push(`### ${instance.name} (${instance.jurisdiction}, ${instance.region}, ${instance.state})`, '');
    lines.push(`- Database: \`${instance.dbUrl}\` (${instance.engine})`);
    if (instance.clonedFrom) lines.push(`- Cloned from: ${instance.clonedFrom}`);
    if (instance.clones.length > 0) lines.push(`- Clones: ${instance.clones.join(', ')}`);
    lines.push('', '| Kind | Location | Region | Jurisdiction | Files | Bytes |', '|---|---|---|---|---|---|');
    for (const p of instance.places) {
      const where = p.tursoLocations ? `${p.location} (locations: ${p.tursoLocations.join(', ')})` : p.location;
      lines.push(`| ${p.kind} | ${cell(where)} | ${cell(p.region)} | ${cell(p.jurisdiction)} | ${p.files} | ${p.bytes} |`);
    }
    lines.push('');
  }
  if (listing.awaitingErasure.length > 0) {
    lines.push('## Backups of purged instances, awaiting erasure', '', '| Instance id | Location | Jurisdiction | Files | Bytes |', '|---|---|---|---|---|');
    for (const e of listing.awaitingErasure) lines.push(`| ${e.instanceId} | ${cell(e.location)} | ${cell(e.jurisdiction)} | ${e.files} | ${e.bytes} |`);
    lines.push('');
  }
  if (listing.inFlight.length > 0) {
    lines.push('## Operations in flight', '');
    for (const f of listing.inFlight) lines.push(`- ${f.name || '(unnamed)'}: ${f.location} (${cell(f.jurisdiction)}, ${f.bytes} bytes)`);
    lines.push('');
  }
  return `${lines.join('\n')}\n`;
}
