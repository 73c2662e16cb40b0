import { allowedHostsSchema, trustProxySchema } from '@silo/web';
import { assertSettings, settingSchema, type SettingName } from '@silo/fleet/internal';
import { z } from 'zod';

/** The console's own variables; their rules and defaults are the settings table's (@silo/fleet). */
const SETTING_NAMES = [
  'ADMIN_PORT',
  'ADMIN_HOST',
  'ADMIN_EMAIL',
  'ADMIN_PASSWORD',
  'SILO_APP_URL',
  'TODOS_URL',
  'ADMIN_UPLOAD_MAX_BYTES',
  'ADMIN_SIGNIN_ATTEMPTS',
  'ADMIN_SIGNIN_CLIENT_ATTEMPTS',
  'ADMIN_SIGNIN_BLOCK_SEC',
  'ADMIN_SESSION_HOURS',
  'ADMIN_SECURE_COOKIES',
] as const satisfies readonly SettingName[];

const envSchema = z.object({
  ADMIN_PORT: settingSchema('ADMIN_PORT'),
  ADMIN_HOST: settingSchema('ADMIN_HOST'),
  ADMIN_EMAIL: settingSchema('ADMIN_EMAIL'),
  ADMIN_PASSWORD: settingSchema('ADMIN_PASSWORD'),
  /** The app's link of an instance, `https://app.example.com/t/{name}`; overrides silo.config's appUrl. */
  SILO_APP_URL: settingSchema('SILO_APP_URL'),
  /** Deprecated alias of SILO_APP_URL: the TODO app's base URL, to which `/t/{name}` is added. */
  TODOS_URL: settingSchema('TODOS_URL'),
  /** It streams to a temp file, so this costs disk, not memory; SILO_IMPORT_MAX_BYTES caps it too. */
  ADMIN_UPLOAD_MAX_BYTES: settingSchema('ADMIN_UPLOAD_MAX_BYTES'),
  ADMIN_SIGNIN_ATTEMPTS: settingSchema('ADMIN_SIGNIN_ATTEMPTS'),
  ADMIN_SIGNIN_CLIENT_ATTEMPTS: settingSchema('ADMIN_SIGNIN_CLIENT_ATTEMPTS'),
  ADMIN_SIGNIN_BLOCK_SEC: settingSchema('ADMIN_SIGNIN_BLOCK_SEC'),
  ADMIN_SESSION_HOURS: settingSchema('ADMIN_SESSION_HOURS'),
  ADMIN_SECURE_COOKIES: settingSchema('ADMIN_SECURE_COOKIES'),
  /** Host names the console answers for (comma list of host[:port]); unset: its listen address. */
  ADMIN_ALLOWED_HOSTS: allowedHostsSchema,
  /** Reverse proxies in front of the console (as SILO_TRUST_PROXY, which it defaults to). */
  ADMIN_TRUST_PROXY: z.string().optional(),
  SILO_TRUST_PROXY: z.string().optional(),
});

/** Which proxies the console believes: ADMIN_TRUST_PROXY, else the fleet-wide SILO_TRUST_PROXY. */
const trustSchema = z.object({ value: trustProxySchema });

export type AdminConfig = z.infer<typeof envSchema> & {
  secureCookies: boolean;
  trustProxy: z.infer<typeof trustProxySchema>;
  /** The app-link template from the environment; undefined: silo.config's appUrl (if any). */
  appUrl: string | undefined;
};

const PLACEHOLDER = '{name}';

/** SILO_APP_URL, else TODOS_URL (before SILO_APP_URL: a base URL the TODO app's `/t/<name>` went under). */
function appUrlFromEnv(data: z.infer<typeof envSchema>): string | undefined {
  if (data.SILO_APP_URL !== undefined) return checkedAppUrl(data.SILO_APP_URL, 'SILO_APP_URL');
  if (data.TODOS_URL === undefined) return undefined;
  return checkedAppUrl(data.TODOS_URL.includes(PLACEHOLDER) ? data.TODOS_URL : `${data.TODOS_URL.replace(/\/+$/, '')}/t/${PLACEHOLDER}`, 'TODOS_URL');
}

function checkedAppUrl(template: string, setting: string): string {
  let valid = template.includes(PLACEHOLDER);
  try {
    valid &&= ['http:', 'https:'].includes(new URL(template.replaceAll(PLACEHOLDER, 'sample')).protocol);
  } catch {
    valid = false;
  }
  if (!valid) throw new Error(`Invalid admin configuration: ${setting}: must be an absolute http(s) URL containing ${PLACEHOLDER}, e.g. https://app.example.com/t/${PLACEHOLDER}`);
  return template;
}

let cached: AdminConfig | undefined;

/** The console's settings from ADMIN_* variables; fails fast naming the variable. */
export function adminConfig(env: NodeJS.ProcessEnv = process.env): AdminConfig {
  if (cached && env === process.env) return cached;
  const input = Object.fromEntries(Object.entries(env).filter(([key, value]) => (key.startsWith('ADMIN_') || key === 'SILO_APP_URL' || key === 'TODOS_URL' || key === 'SILO_TRUST_PROXY') && value !== ''));
  // One line naming the variable and its rule (the settings table's), before anything else.
  assertSettings(env, SETTING_NAMES);
  const parsed = envSchema.safeParse(input);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ');
    throw new Error(`Invalid admin configuration: ${issues}`);
  }
  const trustSetting = parsed.data.ADMIN_TRUST_PROXY !== undefined ? 'ADMIN_TRUST_PROXY' : 'SILO_TRUST_PROXY';
  const trust = trustSchema.safeParse({ value: parsed.data.ADMIN_TRUST_PROXY ?? parsed.data.SILO_TRUST_PROXY });
  if (!trust.success) throw new Error(`Invalid admin configuration: ${trustSetting}: ${trust.error.issues.map((issue) => issue.message).join('; ')}`);
  const config = {
    ...parsed.data,
    secureCookies: parsed.data.ADMIN_SECURE_COOKIES === '1' || parsed.data.ADMIN_SECURE_COOKIES === 'true',
    trustProxy: trust.data.value,
    appUrl: appUrlFromEnv(parsed.data),
  };
  if (env === process.env) cached = config;
  return config;
}
