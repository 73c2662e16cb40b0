import { SiloError } from '../errors';
import type { TursoGroupInfo } from './turso-platform';

/**
 * Where each jurisdiction's data may live on Turso (SILO_TURSO_LOCATIONS): jurisdiction →
 * location codes, `*` at the end matching any suffix.
 *
 *   SILO_TURSO_LOCATIONS=eu=aws-eu-west-1|fra,us=aws-us-*
 *
 * A group's name says nothing about where it is: `turso group locations add` can replicate an
 * EU group to Virginia at any time. So at start-up each group's `primary` and `locations` (the
 * Group object of the Platform API, as turso-cli's internal/turso/groups.go reads it) are
 * compared with this list, and a mismatch stops the process.
 */
export type AllowedLocations = Readonly<Record<string, readonly string[]>>;

/** Used for a jurisdiction SILO_TURSO_LOCATIONS does not name: AWS regions of that area only. */
export const DEFAULT_ALLOWED_LOCATIONS: AllowedLocations = {
  eu: ['aws-eu-*'],
  us: ['aws-us-*'],
};

const CODE = /^[a-z0-9][a-z0-9-]*\*?$/;

/** `eu=aws-eu-west-1|fra,us=aws-us-*` into jurisdiction → patterns; a malformed entry names the variable. */
export function parseAllowedLocations(raw: string, variable = 'SILO_TURSO_LOCATIONS'): Record<string, string[]> {
  const result: Record<string, string[]> = {};
  if (raw.trim() === '') return result;
  raw.split(',').forEach((entry, index) => {
    const at = entry.indexOf('=');
    const jurisdiction = entry.slice(0, at).trim();
    const codes = entry
      .slice(at + 1)
      .split('|')
      .map((code) => code.trim());
    if (at <= 0 || !/^[a-z]{2,16}$/.test(jurisdiction) || codes.some((code) => !CODE.test(code))) {
      throw new SiloError(
        'CONFIG_INVALID',
        `${variable}: entry ${index + 1} should look like "eu=aws-eu-west-1|fra" (a jurisdiction, then location codes separated by |, * at the end matching any suffix; entries separated by commas).`,
      );
    }
    if (jurisdiction in result) throw new SiloError('CONFIG_INVALID', `${variable}: "${jurisdiction}" is given twice.`);
    result[jurisdiction] = codes;
  });
  return result;
}

function matches(pattern: string, location: string): boolean {
  return pattern.endsWith('*') ? location.startsWith(pattern.slice(0, -1)) : location === pattern;
}

/**
 * Throws CONFIG_INVALID naming the group, the offending location and the jurisdiction's
 * allowed list when any location of a group lies outside the jurisdiction it serves.
 */
export function checkResidency(groups: Readonly<Record<string, string>>, infos: readonly TursoGroupInfo[], allowed: AllowedLocations): void {
  const byName = new Map(infos.map((info) => [info.name, info]));
  for (const [jurisdiction, group] of Object.entries(groups)) {
    const permitted = allowed[jurisdiction] ?? DEFAULT_ALLOWED_LOCATIONS[jurisdiction];
    if (!permitted) {
      throw new SiloError(
        'CONFIG_INVALID',
        `SILO_TURSO_LOCATIONS does not say where jurisdiction "${jurisdiction}" (Turso group "${group}") may keep data; add ${jurisdiction}=<location>|<location>.`,
      );
    }
    const info = byName.get(group);
    if (!info) continue;
    const locations = [...new Set([...(info.primary ? [info.primary] : []), ...info.locations])];
    if (locations.length === 0) {
      throw new SiloError('CONFIG_INVALID', `Turso did not say where group "${group}" (jurisdiction "${jurisdiction}") keeps its databases, so its residency cannot be checked.`);
    }
    const outside = locations.filter((location) => !permitted.some((pattern) => matches(pattern, location)));
    if (outside.length > 0) {
      throw new SiloError(
        'CONFIG_INVALID',
        `Turso group "${group}" serves jurisdiction "${jurisdiction}" but keeps data in ${outside.map((l) => `"${l}"`).join(', ')}${info.primary && outside.includes(info.primary) ? ' (its primary)' : ''}, outside the locations allowed for "${jurisdiction}" (${permitted.join(', ')}). Remove the location (turso group locations remove ${group} <location>), map "${jurisdiction}" to another group in SILO_TURSO_GROUPS, or fix SILO_TURSO_LOCATIONS.`,
        { details: { group, jurisdiction, outside, allowed: permitted } },
      );
    }
  }
}
