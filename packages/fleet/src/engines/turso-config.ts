import { z } from 'zod';
import { SiloError } from '../errors';
import { parseAllowedLocations } from './turso-residency';

/**
 * Configuration of the Turso engine. Secrets (the Platform API token, group tokens) are kept
 * here only in memory; nothing in this module ever prints them.
 */
export const DEFAULT_TURSO_API_URL = 'https://api.turso.tech';

const groupName = z.string().regex(/^[a-z0-9][a-z0-9-]{0,63}$/, 'group names are 1–64 chars of a–z, 0–9, -');

export const tursoSettingsSchema = z.object({
  org: z.string().min(1, 'the Turso organization slug is required'),
  apiToken: z.string().min(1, 'a Turso Platform API token is required'),
  apiUrl: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).default(DEFAULT_TURSO_API_URL),
  /** Jurisdiction → Turso group its databases are created in. */
  groups: z.record(z.string().regex(/^[a-z]{2,16}$/), groupName).refine((groups) => Object.keys(groups).length > 0, 'map at least one jurisdiction to a group'),
  /** Group → pre-made group token; groups without one get a token minted at start-up. */
  groupTokens: z.record(groupName, z.string().min(1)).default({}),
  /** Prepended to every database name, so several fleets (or test runs) can share one organization. */
  databasePrefix: z.string().regex(/^([a-z0-9][a-z0-9-]{0,23})?$/, 'up to 24 chars of a–z, 0–9, -').default(''),
  /** TLS to the databases: on for Turso; off only for a local stand-in over plain http. */
  tls: z.boolean().default(true),
  /** How long a new database may keep answering 404 before create gives up. */
  readyTimeoutMs: z.number().int().min(100).max(600_000).default(30_000),
  /** Usage figures (storage, rows read and written) are asked of the Platform API at most this often per database. */
  usageCacheMs: z.number().int().min(0).default(60_000),
  /**
   * Lifetime of the group tokens Silo mints (Turso's `expiration`: 1d, 12h, 2w1d30m). Turso's
   * default is never; Silo always sends one and renews the token before it runs out.
   */
  tokenExpiration: z.string().regex(/^(\d+[wdhms])+$/, 'a duration such as 1d, 12h or 2w1d30m').default('1d'),
  /** Jurisdiction → location codes its group may use (`*` suffix matches); see turso-residency.ts. */
  locations: z.record(z.string().regex(/^[a-z]{2,16}$/), z.array(z.string().regex(/^[a-z0-9][a-z0-9-]*\*?$/)).min(1)).default({}),
});

export type TursoSettingsInput = z.input<typeof tursoSettingsSchema>;
export type TursoSettings = z.output<typeof tursoSettingsSchema>;

/** Every variable the Turso engine reads, with the setting it fills. */
export const TURSO_ENV = {
  SILO_TURSO_ORG: 'org',
  SILO_TURSO_API_TOKEN: 'apiToken',
  SILO_TURSO_API_URL: 'apiUrl',
  SILO_TURSO_GROUPS: 'groups',
  SILO_TURSO_GROUP_TOKENS: 'groupTokens',
  SILO_TURSO_DB_PREFIX: 'databasePrefix',
  SILO_TURSO_TLS: 'tls',
  SILO_TURSO_READY_TIMEOUT_MS: 'readyTimeoutMs',
  SILO_TURSO_USAGE_CACHE_MS: 'usageCacheMs',
  SILO_TURSO_TOKEN_EXPIRATION: 'tokenExpiration',
  SILO_TURSO_LOCATIONS: 'locations',
} as const satisfies Record<string, keyof TursoSettingsInput>;

const VARIABLE_OF = Object.fromEntries(Object.entries(TURSO_ENV).map(([variable, key]) => [key, variable])) as Record<
  keyof TursoSettingsInput,
  keyof typeof TURSO_ENV
>;

/**
 * Reads and validates the Turso variables. A problem names the variable and never echoes a
 * secret's value.
 */
export function tursoSettingsFromEnv(env: NodeJS.ProcessEnv): TursoSettings {
  const value = (variable: keyof typeof TURSO_ENV): string | undefined => {
    const raw = env[variable]?.trim();
    return raw === undefined || raw === '' ? undefined : raw;
  };
  const input: Record<string, unknown> = {
    org: value('SILO_TURSO_ORG') ?? '',
    apiToken: value('SILO_TURSO_API_TOKEN') ?? '',
    apiUrl: value('SILO_TURSO_API_URL'),
    groups: pairs('SILO_TURSO_GROUPS', value('SILO_TURSO_GROUPS') ?? '', 'eu=silo-eu,us=silo-us'),
    groupTokens: pairs('SILO_TURSO_GROUP_TOKENS', value('SILO_TURSO_GROUP_TOKENS') ?? '', 'silo-eu=<token>,silo-us=<token>'),
    databasePrefix: value('SILO_TURSO_DB_PREFIX'),
    tls: flag('SILO_TURSO_TLS', value('SILO_TURSO_TLS')),
    readyTimeoutMs: number('SILO_TURSO_READY_TIMEOUT_MS', value('SILO_TURSO_READY_TIMEOUT_MS')),
    usageCacheMs: number('SILO_TURSO_USAGE_CACHE_MS', value('SILO_TURSO_USAGE_CACHE_MS')),
    tokenExpiration: value('SILO_TURSO_TOKEN_EXPIRATION'),
    locations: parseAllowedLocations(value('SILO_TURSO_LOCATIONS') ?? ''),
  };
  return resolveTursoSettings(input as TursoSettingsInput, (key) => VARIABLE_OF[key]);
}

/** Validates settings given in code or from the environment; `label` names a setting in messages. */
export function resolveTursoSettings(
  input: TursoSettingsInput,
  label: (key: keyof TursoSettingsInput) => string = (key) => `turso.${key}`,
): TursoSettings {
  const parsed = tursoSettingsSchema.safeParse(input);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((issue) => {
      const key = issue.path[0] as keyof TursoSettingsInput | undefined;
      // Only the setting's name and the rule it broke: zod messages never carry the value.
      return `${key ? label(key) : 'turso'}${issue.path.length > 1 ? ` (${issue.path.slice(1).join('.')})` : ''}: ${issue.message}`;
    });
    throw new SiloError('CONFIG_INVALID', `Invalid Turso configuration: ${issues.join('; ')}`);
  }
  const settings = parsed.data;
  for (const group of Object.keys(settings.groupTokens)) {
    if (!Object.values(settings.groups).includes(group)) {
      throw new SiloError('CONFIG_INVALID', `${label('groupTokens')}: a token is given for group "${group}", which no jurisdiction maps to in ${label('groups')}.`);
    }
  }
  // Turso hostnames are `<database>-<org>.<region>.turso.io`: `<database>-<org>` is one DNS
  // label (63 characters at most), so the prefix and the organization leave this much for names.
  if (maxDatabaseNameLength(settings) < MIN_INSTANCE_NAME_ROOM + settings.databasePrefix.length) {
    throw new SiloError(
      'CONFIG_INVALID',
      `${label('databasePrefix')} "${settings.databasePrefix}" with organization "${settings.org}" leaves fewer than ${MIN_INSTANCE_NAME_ROOM} characters for instance names in a Turso hostname (<database>-<org> is at most ${DNS_LABEL_MAX} characters); use a shorter prefix.`,
    );
  }
  // The API's own paths start with /v1/; a base given with it (as SDK examples do) works too.
  return { ...settings, apiUrl: settings.apiUrl.replace(/\/+$/, '').replace(/\/v1$/, '') };
}

export const DNS_LABEL_MAX = 63;
/** Instance names shorter than this always fit as they are (longer ones are shortened with a hash). */
const MIN_INSTANCE_NAME_ROOM = 16;

/** The longest database name whose `<database>-<org>` hostname label is still a valid DNS label. */
export function maxDatabaseNameLength(settings: Pick<TursoSettings, 'org'>): number {
  return Math.min(64, DNS_LABEL_MAX - 1 - settings.org.length);
}

/** `a=b,c=d` into an object; an entry that does not fit names the variable but not the value (it may be a token). */
function pairs(variable: string, raw: string, example: string): Record<string, string> {
  const result: Record<string, string> = {};
  if (raw === '') return result;
  raw.split(',').forEach((entry, index) => {
    const at = entry.indexOf('=');
    const key = entry.slice(0, at).trim();
    const value = entry.slice(at + 1).trim();
    if (at <= 0 || value === '') {
      throw new SiloError('CONFIG_INVALID', `${variable}: entry ${index + 1} should look like "${example.split(',')[0] ?? example}" (a comma list such as "${example}").`);
    }
    if (key in result) throw new SiloError('CONFIG_INVALID', `${variable}: "${key}" is given twice.`);
    result[key] = value;
  });
  return result;
}

function flag(variable: string, raw: string | undefined): boolean | undefined {
  if (raw === undefined) return undefined;
  if (['1', 'true', 'yes', 'on'].includes(raw.toLowerCase())) return true;
  if (['0', 'false', 'no', 'off'].includes(raw.toLowerCase())) return false;
  throw new SiloError('CONFIG_INVALID', `${variable} must be 1 or 0; got "${raw}".`);
}

function number(variable: string, raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (!Number.isFinite(value)) throw new SiloError('CONFIG_INVALID', `${variable} must be a number; got "${raw}".`);
  return value;
}
