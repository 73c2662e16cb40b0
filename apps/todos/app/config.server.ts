import { allowedHostsSchema, trustProxySchema, type TrustProxy } from '@silo/web';
import { z } from 'zod';

/** The app's own settings (the fleet reads its SILO_* settings itself). Fails fast on bad values. */
const envSchema = z.object({
  /** `auto` marks cookies Secure when the request arrived over https (directly or via a trusted proxy). */
  SILO_COOKIE_SECURE: z.enum(['auto', 'true', 'false']).default('auto'),
  /** Where the server listens (server.ts). 0 picks a free port. */
  PORT: z.coerce.number().int().min(0).max(65_535).default(3000),
  HOST: z.string().trim().min(1).default('127.0.0.1'),
  /**
   * Trust X-Forwarded-For/-Proto/-Host from reverse proxies: 0 (none), a hop count (1 = one
   * proxy), or a comma list of proxy addresses/CIDR ranges (see @silo/web forwarded.ts).
   */
  SILO_TRUST_PROXY: trustProxySchema,
  /** Host names served (comma list of host[:port]); unset: the listen address (hosts.ts). */
  SILO_ALLOWED_HOSTS: allowedHostsSchema,
  SILO_CREATE_LIMIT_PER_HOUR: z.coerce.number().int().min(1).default(20),
  SILO_SIGNIN_LIMIT_PER_ACCOUNT: z.coerce.number().int().min(1).default(5),
  SILO_SIGNIN_LIMIT_PER_IP: z.coerce.number().int().min(1).default(100),
  /** Invite form posts (each may hash a password) per client address in 15 minutes. */
  SILO_INVITE_LIMIT_PER_IP: z.coerce.number().int().min(1).default(20),
  /** Downloads (.sqlite and .json) of one list per hour: each reads the whole list. */
  SILO_EXPORTS_PER_HOUR: z.coerce.number().int().min(1).default(10),
  /** Signed-in requests of one list in progress at once; more wait their turn behind other lists. */
  SILO_TENANT_MAX_IN_FLIGHT: z.coerce.number().int().min(1).max(1_000).default(2),
  /** Requests of one list that may wait for a turn; more get 503 with Retry-After. */
  SILO_TENANT_MAX_QUEUED: z.coerce.number().int().min(0).max(100_000).default(100),
  /** Todos one list may hold: bounds every query and count over a list. */
  SILO_TODOS_MAX_PER_LIST: z.coerce.number().int().min(1).max(1_000_000).default(5_000),
  /** Todos on one page of the list: bounds the size of every page whatever the list holds. */
  SILO_TODOS_PAGE_SIZE: z.coerce.number().int().min(5).max(1_000).default(100),
  /** Accounts (owner included) one list may have. */
  SILO_MEMBERS_MAX: z.coerce.number().int().min(1).max(10_000).default(50),
  /** Invite links of one list that may be open (not used, not expired) at once. */
  SILO_OPEN_INVITES_MAX: z.coerce.number().int().min(1).max(1_000).default(20),
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
  // An empty variable means unset (HOST= in a shell, a blank line in an env file).
  const parsed = envSchema.safeParse(Object.fromEntries(Object.entries(process.env).filter(([, value]) => value !== '')));
  if (!parsed.success) {
    const issues = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    throw new Error(`Invalid configuration: ${issues.join('; ')}`);
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
