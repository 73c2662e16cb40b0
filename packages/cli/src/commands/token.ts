import { InvalidArgumentError, type Command } from 'commander';
import { API_TOKEN_SCOPES, type ApiTokenScope } from '@silo/fleet';
import { withFleet, type CliContext } from '../context';
import { UsageError } from '../errors';
import { formatDate } from '../format/time';
import { examples } from '../help';

interface CreateOptions {
  scope?: ApiTokenScope;
  instance?: string;
  libsql?: boolean;
  readOnly?: boolean;
  jurisdiction?: string;
  expires?: number;
  label?: string;
  json?: boolean;
}

function parseScope(value: string): ApiTokenScope {
  const scope = API_TOKEN_SCOPES.find((candidate) => candidate === value);
  if (!scope) throw new InvalidArgumentError(`Unknown scope "${value}". Use one of: ${API_TOKEN_SCOPES.join(', ')}.`);
  return scope;
}

/**
 * The longest lifetime `--expires` takes. Past it the expiry stops being a date at all (JWTs
 * and the catalog would get an overflowed number, the message "expiring —"), and no token is
 * meant to outlive the fleet: one that never expires is made by leaving `--expires` out.
 */
const MAX_LIFETIME_DAYS = 36_500;

/** "30d", "12h", "90m": a lifetime in milliseconds. */
function parseLifetime(value: string): number {
  const match = /^(\d+)([dhm])$/.exec(value.trim());
  if (!match) throw new InvalidArgumentError(`Cannot read "${value}" as a lifetime; write e.g. 30d, 12h or 90m.`);
  const unit = { d: 86_400_000, h: 3_600_000, m: 60_000 }[match[2] as 'd' | 'h' | 'm'];
  const ms = Number(match[1]) * unit;
  if (ms <= 0) throw new InvalidArgumentError('A token must live for some time.');
  if (ms > MAX_LIFETIME_DAYS * 86_400_000) {
    throw new InvalidArgumentError(`A token lives ${MAX_LIFETIME_DAYS}d (100 years) at most; leave --expires out for one that does not expire.`);
  }
  return ms;
}

/** `silo token`: tokens of the HTTP API (silo serve); only their hash is stored. */
export function registerToken(program: Command, ctx: CliContext): void {
  const token = program.command('token').summary('manage API tokens for silo serve').description('create, list and revoke tokens of the HTTP API (silo serve)');

  const create = token
    .command('create')
    .description('create a token; it is shown once: an API token (--scope), a libSQL token for one instance (--instance) or for every instance of a jurisdiction (--libsql --jurisdiction)')
    .option('--scope <scope>', 'API token: read, write or admin', parseScope)
    .option('--instance <name>', "libSQL token: connect @libsql/client to this instance's /db/<name> endpoint")
    .option('--libsql', "with --jurisdiction: a libSQL token for every instance of the jurisdiction (as a Turso group token)")
    .option('--read-only', 'with --instance or --libsql: the token may only read (SQLite refuses writes)')
    .option('--jurisdiction <j>', 'only instances of this jurisdiction')
    .option('--expires <lifetime>', 'expires after this long (e.g. 30d, 12h)', parseLifetime)
    .option('--label <text>', 'what the token is for')
    .option('--json', 'print { token, info } as JSON')
    .action(async (options: CreateOptions, cmd: Command) => {
      if (options.instance !== undefined) {
        if (options.scope !== undefined || options.jurisdiction !== undefined || options.label !== undefined) {
          throw new UsageError('--instance makes a libSQL token for one instance: it takes --read-only and --expires, not --scope, --jurisdiction or --label.', 'token create');
        }
        await createInstanceTokenCommand(ctx, cmd, options.instance, options);
        return;
      }
      if (options.libsql) {
        if (options.jurisdiction === undefined || options.scope !== undefined || options.label !== undefined) {
          throw new UsageError('--libsql makes a libSQL token for every instance of a jurisdiction: it takes --jurisdiction (required), --read-only and --expires, not --scope or --label.', 'token create');
        }
        await createJurisdictionTokenCommand(ctx, cmd, options.jurisdiction, options);
        return;
      }
      if (options.readOnly) throw new UsageError('--read-only goes with --instance or --libsql; an API token is read-only with --scope read.', 'token create');
      const scope = options.scope;
      if (scope === undefined) throw new UsageError('Say what the token is for: --scope read|write|admin (API) or --instance <name> (libSQL).', 'token create');
      await withFleet(ctx, cmd, (fleet) => {
        // An unknown jurisdiction is refused now, not on the token's first call.
        if (options.jurisdiction !== undefined) fleet.regions.place(options.jurisdiction);
        const created = fleet.apiTokens.create({
          scope,
          jurisdiction: options.jurisdiction ?? null,
          ...(options.label ? { label: options.label } : {}),
          ...(options.expires ? { expiresAt: Date.now() + options.expires } : {}),
          actor: ctx.actor,
        });
        if (options.json) return ctx.output.json(created);
        ctx.output.print(`Created token ${created.info.id} (${created.info.scope}${created.info.jurisdiction ? `, ${created.info.jurisdiction} only` : ''}).`);
        ctx.output.print(created.token);
        ctx.output.note('This token is shown once; the catalog stores only its hash. Send it as "Authorization: Bearer <token>".');
      });
    });
  examples(create, [
    'silo token create --scope read',
    'silo token create --scope write --jurisdiction eu --expires 30d --label ci',
    'silo token create --instance acme --read-only --expires 1d',
    'silo token create --libsql --jurisdiction eu --read-only --expires 30d',
  ]);

  token
    .command('list')
    .description('list tokens (never their secret)')
    .option('--json', 'print the list as JSON')
    .action(async (options: { json?: boolean }, cmd: Command) => {
      await withFleet(ctx, cmd, (fleet) => {
        const tokens = fleet.apiTokens.list();
        if (options.json) return ctx.output.json(tokens);
        if (tokens.length === 0) return ctx.output.print('No API tokens. Create one with `silo token create --scope read`.');
        for (const t of tokens) {
          const status = t.revokedAt !== null ? 'revoked' : t.expiresAt !== null && t.expiresAt <= Date.now() ? 'expired' : 'active';
          ctx.output.print(
            [
              t.id,
              t.scope,
              t.jurisdiction ?? 'all',
              status,
              // When an active token stops working: what an operator rotating tokens looks for.
              status === 'active' && t.expiresAt !== null ? `expires ${formatDate(t.expiresAt)}` : '',
              `by ${t.createdBy}`,
              `created ${formatDate(t.createdAt)}`,
              `last used ${t.lastUsedAt === null ? 'never' : formatDate(t.lastUsedAt)}`,
              t.label,
            ]
              .filter(Boolean)
              .join('  '),
          );
        }
      });
    });

  token
    .command('revoke')
    .description("revoke an API token at once, or every libSQL token of an instance (--instance) or of a jurisdiction (--libsql --jurisdiction)")
    .argument('[id]', 'the API token id (silo token list)')
    .option('--instance <name>', "revoke every libSQL token issued for this instance")
    .option('--libsql', 'with --jurisdiction: revoke every jurisdiction-wide libSQL token of it (instance tokens stay)')
    .option('--jurisdiction <j>', 'with --libsql: the jurisdiction')
    .action(async (id: string | undefined, options: { instance?: string; libsql?: boolean; jurisdiction?: string }, cmd: Command) => {
      const jurisdiction = options.libsql ? options.jurisdiction : undefined;
      if ((options.libsql === true) !== (options.jurisdiction !== undefined)) throw new UsageError('--libsql and --jurisdiction go together: --libsql --jurisdiction <j>.', 'token revoke');
      if ([id, options.instance, jurisdiction].filter((target) => target !== undefined).length !== 1) {
        throw new UsageError('Name an API token id, --instance <name> for its libSQL tokens, or --libsql --jurisdiction <j> for the jurisdiction\'s.', 'token revoke');
      }
      if (jurisdiction !== undefined) {
        const { revokeJurisdictionTokens } = await import('@silo/server');
        await withFleet(ctx, cmd, (fleet) => {
          revokeJurisdictionTokens(fleet, { jurisdiction });
          fleet.recordAudit({ operation: 'token revoke', instance: null, actor: ctx.actor, detail: { kind: 'libsql', jurisdiction, scope: 'every token of the jurisdiction' } });
          ctx.output.print(`Revoked every jurisdiction-wide libSQL token of ${jurisdiction}; running servers refuse them within a second.`);
        });
        return;
      }
      const instance = options.instance;
      if (instance !== undefined) {
        const { revokeInstanceTokens } = await import('@silo/server');
        await withFleet(ctx, cmd, (fleet) => {
          revokeInstanceTokens(fleet, { instance });
          fleet.recordAudit({ operation: 'token revoke', instance, actor: ctx.actor, detail: { kind: 'libsql', scope: 'every token of the instance' } });
          ctx.output.print(`Revoked every libSQL token of ${instance}; running servers refuse them within a second.`);
        });
        return;
      }
      await withFleet(ctx, cmd, (fleet) => {
        fleet.apiTokens.revoke(id ?? '', ctx.actor);
        ctx.output.print(`Revoked token ${id}.`);
      });
    });
}

/** `silo token create --instance`: a signed libSQL token (Turso's form), checked by `silo serve` with no catalog read per request. */
async function createInstanceTokenCommand(ctx: CliContext, cmd: Command, instance: string, options: CreateOptions): Promise<void> {
  // Loaded here, not at the top: every other command starts without the HTTP stack.
  const { createInstanceToken, defaultTokenSecretDir } = await import('@silo/server');
  await withFleet(ctx, cmd, async (fleet) => {
    const created = await createInstanceToken(fleet, {
      tokenSecretDir: defaultTokenSecretDir(fleet),
      instance,
      readOnly: options.readOnly === true,
      ...(options.expires ? { expiresInSeconds: Math.ceil(options.expires / 1000) } : {}),
    });
    fleet.recordAudit({ operation: 'token create', instance, actor: ctx.actor, detail: { kind: 'libsql', access: created.access, expiresAt: created.expiresAt?.getTime() ?? null } });
    if (options.json) return ctx.output.json(created);
    ctx.output.print(`Created a ${created.access} libSQL token for ${instance}${created.expiresAt ? `, expiring ${formatDate(created.expiresAt.getTime())}` : ''}.`);
    ctx.output.print(created.token);
    ctx.output.note(`Shown once. Connect with createClient({ url: '<silo serve URL>/db/${instance}', authToken }).`);
  });
}

/** `silo token create --libsql --jurisdiction`: one signed libSQL token for every instance of the jurisdiction (Turso's group token). */
async function createJurisdictionTokenCommand(ctx: CliContext, cmd: Command, jurisdiction: string, options: CreateOptions): Promise<void> {
  const { createJurisdictionToken, defaultTokenSecretDir } = await import('@silo/server');
  await withFleet(ctx, cmd, async (fleet) => {
    const created = await createJurisdictionToken(fleet, {
      tokenSecretDir: defaultTokenSecretDir(fleet),
      jurisdiction,
      readOnly: options.readOnly === true,
      ...(options.expires ? { expiresInSeconds: Math.ceil(options.expires / 1000) } : {}),
    });
    fleet.recordAudit({
      operation: 'token create',
      instance: null,
      actor: ctx.actor,
      detail: { kind: 'libsql', jurisdiction: created.jurisdiction, access: created.access, expiresAt: created.expiresAt?.getTime() ?? null },
    });
    if (options.json) return ctx.output.json(created);
    ctx.output.print(`Created a ${created.access} libSQL token for every ${created.jurisdiction} instance${created.expiresAt ? `, expiring ${formatDate(created.expiresAt.getTime())}` : ''}.`);
    ctx.output.print(created.token);
    ctx.output.note("Shown once. The URL must name the instance: createClient({ url: '<silo serve URL>/db/<name>/', authToken }) (mind the last slash).");
  });
}
