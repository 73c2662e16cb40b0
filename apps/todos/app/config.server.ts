import { allowedHostsSchema, trustProxySchema, type TrustProxy } from '@silo/web';
import { SiloError } from '@silo/fleet';
import { assertSettings, settingSchema, type SettingName } from '@silo/fleet/internal';
import { z } from 'zod';

/** The app's own variables; their rules and defaults are the settings table's (@silo/fleet). */
const SETTING_NAMES = [
  'SILO_COOKIE_SECURE',
  'PORT',
  'HOST',
  'SILO_CREATE_LIMIT_PER_HOUR',
  'SILO_SIGNIN_LIMIT_PER_ACCOUNT',
  'SILO_SIGNIN_LIMIT_PER_IP',
  'SILO_INVITE_LIMIT_PER_IP',
  'SILO_EXPORTS_PER_HOUR',
  'SILO_TENANT_MAX_IN_FLIGHT',
  'SILO_TENANT_MAX_QUEUED',
  'SILO_TODOS_MAX_PER_LIST',
  'SILO_TODOS_PAGE_SIZE',
  'SILO_MEMBERS_MAX',
  'SILO_OPEN_INVITES_MAX',
  'SILO_SECRET',
] as const satisfies readonly SettingName[];

/** The app's own settings (the fleet reads its SILO_* settings itself). Fails fast on bad values. */
const envSchema = z.object({
  SILO_COOKIE_SECURE: settingSchema('SILO_COOKIE_SECURE'),
  PORT: settingSchema('PORT'),
  HOST: settingSchema('HOST'),
  /** Parsed by @silo/web (forwarded.ts): 0, a hop count, or proxy addresses and CIDR ranges. */
  SILO_TRUST_PROXY: trustProxySchema,
  /** Parsed by @silo/web (hosts.ts); unset: the listen address. */
  SILO_ALLOWED_HOSTS: allowedHostsSchema,
  SILO_CREATE_LIMIT_PER_HOUR: settingSchema('SILO_CREATE_LIMIT_PER_HOUR'),
  SILO_SIGNIN_LIMIT_PER_ACCOUNT: settingSchema('SILO_SIGNIN_LIMIT_PER_ACCOUNT'),
  SILO_SIGNIN_LIMIT_PER_IP: settingSchema('SILO_SIGNIN_LIMIT_PER_IP'),
  SILO_INVITE_LIMIT_PER_IP: settingSchema('SILO_INVITE_LIMIT_PER_IP'),
  SILO_EXPORTS_PER_HOUR: settingSchema('SILO_EXPORTS_PER_HOUR'),
  SILO_TENANT_MAX_IN_FLIGHT: settingSchema('SILO_TENANT_MAX_IN_FLIGHT'),
  SILO_TENANT_MAX_QUEUED: settingSchema('SILO_TENANT_MAX_QUEUED'),
  SILO_TODOS_MAX_PER_LIST: settingSchema('SILO_TODOS_MAX_PER_LIST'),
  SILO_TODOS_PAGE_SIZE: settingSchema('SILO_TODOS_PAGE_SIZE'),
  SILO_MEMBERS_MAX: settingSchema('SILO_MEMBERS_MAX'),
  SILO_OPEN_INVITES_MAX: settingSchema('SILO_OPEN_INVITES_MAX'),
});

export interface AppConfig {
  readonly port: number;
  readonly host: string;
  readonly trustProxy: TrustProxy;
  /** undefined: the default for the listen address. */
  readonly allowedHosts: readonly string[] | undefined;
  readonly cookieSecure: 'auto' | boolean;
  readonly createLimitPerHour: number;
  readonly signInLimitPerAccount: number;
  readonly signInLimitPerIp: number;
  readonly inviteLimitPerIp: number;
  readonly exportsPerHour: number;
  readonly tenantMaxInFlight: number;
  readonly tenantMaxQueued: number;
  readonly maxTodosPerList: number;
  readonly todosPageSize: number;
  readonly maxMembers: number;
  readonly maxOpenInvites: number;
}

let cached: AppConfig | undefined;

export function appConfig(): AppConfig {
  if (cached) return cached;
  // One line naming the variable and its rule (the settings table's), before anything else.
  assertSettings(process.env, SETTING_NAMES);
  // An empty variable means unset (HOST= in a shell, a blank line in an env file).
  const parsed = envSchema.safeParse(Object.fromEntries(Object.entries(process.env).filter(([, value]) => value !== '')));
  if (!parsed.success) {
    const issues = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    throw new SiloError('CONFIG_INVALID', `Invalid configuration: ${issues.join('; ')}`);
  }
  const env = parsed.data;
  cached = {
    port: env.PORT,
    host: env.HOST,
    trustProxy: env.SILO_TRUST_PROXY,
    allowedHosts: env.SILO_ALLOWED_HOSTS,
    cookieSecure: env.SILO_COOKIE_SECURE === 'auto' ? 'auto' : env.SILO_COOKIE_SECURE === 'true',
    createLimitPerHour: env.SILO_CREATE_LIMIT_PER_HOUR,
    signInLimitPerAccount: env.SILO_SIGNIN_LIMIT_PER_ACCOUNT,
    signInLimitPerIp: env.SILO_SIGNIN_LIMIT_PER_IP,
    inviteLimitPerIp: env.SILO_INVITE_LIMIT_PER_IP,
    exportsPerHour: env.SILO_EXPORTS_PER_HOUR,
    tenantMaxInFlight: env.SILO_TENANT_MAX_IN_FLIGHT,
    tenantMaxQueued: env.SILO_TENANT_MAX_QUEUED,
    maxTodosPerList: env.SILO_TODOS_MAX_PER_LIST,
    todosPageSize: env.SILO_TODOS_PAGE_SIZE,
    maxMembers: env.SILO_MEMBERS_MAX,
    maxOpenInvites: env.SILO_OPEN_INVITES_MAX,
  };
  return cached;
}

/** Largest form body any action accepts; a todo title is at most 1,000 characters. */
export const MAX_FORM_BYTES = 16 * 1024;
