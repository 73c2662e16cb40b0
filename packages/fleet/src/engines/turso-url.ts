import { createHash } from 'node:crypto';
import { SiloError } from '../errors';

/**
 * The identifier a Turso instance keeps in the catalog: `turso:<group>/<database>`.
 *
 * Names, not hostnames: Turso hands out the hostname when the database is created and may
 * change how it builds them, so the catalog keeps what Silo chose (group and database name)
 * and the engine asks the Platform API for the hostname (cached). The group is in the
 * identifier so the engine knows which group token to use without an API call, and can check
 * that the database really lives in that group (its jurisdiction) before serving it.
 */
export interface TursoLocation {
  readonly group: string;
  readonly database: string;
}

/** Turso database names: lowercase letters, digits and dashes, at most 64 characters. */
const MAX_DATABASE_NAME = 64;
const URL_PATTERN = /^turso:([a-z0-9][a-z0-9-]{0,63})\/([a-z0-9][a-z0-9-]{0,63})$/;

export function tursoUrl(location: TursoLocation): string {
  return `turso:${location.group}/${location.database}`;
}

export function parseTursoUrl(url: string): TursoLocation {
  const match = URL_PATTERN.exec(url);
  if (!match?.[1] || !match[2]) {
    throw new SiloError('ENGINE_FAILURE', `"${url}" is not a Turso database URL; is this instance on another engine?`);
  }
  return { group: match[1], database: match[2] };
}

/**
 * The Turso database name of an instance: the configured prefix plus the instance name. Names
 * are unique per organization, and an instance name is unique in the catalog, so the prefix
 * only has to tell fleets sharing an organization apart. A name that would be too long keeps
 * its start and gets a short hash, so it stays deterministic and readable.
 */
export function databaseName(prefix: string, name: string, maxLength: number = MAX_DATABASE_NAME): string {
  const full = `${prefix}${name}`;
  if (full.length <= maxLength) return full;
  const hash = createHash('sha256').update(name).digest('hex').slice(0, 8);
  return `${full.slice(0, maxLength - hash.length - 1).replace(/-+$/, '')}-${hash}`;
}
