import type { Fleet } from '@silo/fleet';
import { formatDate } from './format';
import { field } from './http.server';
import { LIBSQL_TOKEN_DAYS, type LibsqlAction } from './libsql';

/** `silo serve`'s default address (@silo/server's DEFAULT_PORT on loopback). */
const DEFAULT_SERVE_URL = 'http://127.0.0.1:7070';

const DAY_SECONDS = 86_400;

/**
 * Where @libsql/client reaches the instance through `silo serve` (SILO_SERVE_URL). No trailing
 * slash: the client then routes by the token (docs/libsql.md).
 */
export function libsqlUrl(name: string, env: NodeJS.ProcessEnv = process.env): string {
  const base = (env['SILO_SERVE_URL']?.trim() || DEFAULT_SERVE_URL).replace(/\/+$/, '');
  return `${base}/db/${encodeURIComponent(name)}`;
}

export interface IssuedLibsqlToken {
  token: string;
  access: 'read-write' | 'read-only';
  expiresAt: number | null;
}

/**
 * Signs a libSQL token for the instance and audits it as `silo token create --instance` does.
 * The token itself goes to the caller only: never into the audit detail or a log.
 */
export async function issueLibsqlToken(fleet: Fleet, instance: string, options: { readOnly: boolean; days: number; actor: string }): Promise<IssuedLibsqlToken> {
  // Loaded on first use: the console starts without the HTTP API's stack.
  const { createInstanceToken, defaultTokenSecretDir } = await import('@silo/server');
  const created = await createInstanceToken(fleet, {
    tokenSecretDir: defaultTokenSecretDir(fleet),
    instance,
    readOnly: options.readOnly,
    ...(options.days > 0 ? { expiresInSeconds: options.days * DAY_SECONDS } : {}),
  });
  const expiresAt = created.expiresAt?.getTime() ?? null;
  fleet.recordAudit({ operation: 'token create', instance, actor: options.actor, detail: { kind: 'libsql', access: created.access, expiresAt } });
  return { token: created.token, access: created.access, expiresAt };
}

/** Revokes every libSQL token of the instance and audits it as `silo token revoke --instance` does. */
export async function revokeLibsqlTokens(fleet: Fleet, instance: string, actor: string): Promise<void> {
  const { revokeInstanceTokens } = await import('@silo/server');
  revokeInstanceTokens(fleet, { instance });
  fleet.recordAudit({ operation: 'token revoke', instance, actor, detail: { kind: 'libsql', scope: 'every token of the instance' } });
}

/** The instance page's `libsql-create` and `libsql-revoke` forms. */
export async function libsqlAction(fleet: Fleet, instance: string, intent: string, form: FormData, actor: string): Promise<LibsqlAction> {
  if (intent === 'libsql-create') {
    const days = Number(field(form, 'days'));
    if (!LIBSQL_TOKEN_DAYS.some((lifetime) => lifetime === days)) return { intent, error: 'Choose when the token expires.' };
    const readOnly = field(form, 'readOnly') === 'on';
    const issued = await issueLibsqlToken(fleet, instance, { readOnly, days, actor });
    return { intent, ok: `Created a ${issued.access} libSQL token for ${instance}${issued.expiresAt === null ? ' that never expires' : `, expiring ${formatDate(issued.expiresAt)} UTC`}.`, token: issued.token };
  }
  if (intent === 'libsql-revoke') {
    await revokeLibsqlTokens(fleet, instance, actor);
    return { intent, ok: `Revoked every libSQL token of ${instance}; running servers refuse them within a second.` };
  }
  return { intent, error: 'Unknown action.' };
}
