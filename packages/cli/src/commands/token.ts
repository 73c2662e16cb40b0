import type { Command } from 'commander';
import { API_TOKEN_SCOPES, type ApiTokenScope } from '@silo/fleet';
import { withFleet, type CliContext } from '../context';
import { CliFailure } from '../errors';
import { formatDate } from '../format/time';
import { examples } from '../help';

interface CreateOptions {
  scope: ApiTokenScope;
  jurisdiction?: string;
  expires?: number;
  label?: string;
  json?: boolean;
}

function parseScope(value: string): ApiTokenScope {
  const scope = API_TOKEN_SCOPES.find((candidate) => candidate === value);
  if (!scope) throw new CliFailure(`Unknown scope "${value}". Use one of: ${API_TOKEN_SCOPES.join(', ')}.`);
  return scope;
}

/** "30d", "12h", "90m": a lifetime in milliseconds. */
function parseLifetime(value: string): number {
  const match = /^(\d+)([dhm])$/.exec(value.trim());
  if (!match) throw new CliFailure(`Cannot read "${value}" as a lifetime; write e.g. 30d, 12h or 90m.`);
  const unit = { d: 86_400_000, h: 3_600_000, m: 60_000 }[match[2] as 'd' | 'h' | 'm'];
  const ms = Number(match[1]) * unit;
  if (ms <= 0) throw new CliFailure('A token must live for some time.');
  return ms;
}

/** `silo token`: tokens of the HTTP API (silo serve); only their hash is stored. */
export function registerToken(program: Command, ctx: CliContext): void {
  const token = program.command('token').summary('manage API tokens for silo serve').description('create, list and revoke tokens of the HTTP API (silo serve)');

  const create = token
    .command('create')
    .description('create a token; it is shown once')
    .requiredOption('--scope <scope>', 'read, write or admin', parseScope)
    .option('--jurisdiction <j>', 'only instances of this jurisdiction')
    .option('--expires <lifetime>', 'expires after this long (e.g. 30d, 12h)', parseLifetime)
    .option('--label <text>', 'what the token is for')
    .option('--json', 'print { token, info } as JSON')
    .action(async (options: CreateOptions, cmd: Command) => {
      await withFleet(ctx, cmd, (fleet) => {
        // An unknown jurisdiction is refused now, not on the token's first call.
        if (options.jurisdiction !== undefined) fleet.regions.place(options.jurisdiction);
        const created = fleet.apiTokens.create({
          scope: options.scope,
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
  examples(create, ['silo token create --scope read', 'silo token create --scope write --jurisdiction eu --expires 30d --label ci']);

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
            [t.id, t.scope, t.jurisdiction ?? 'all', status, `by ${t.createdBy}`, `created ${formatDate(t.createdAt)}`, `last used ${t.lastUsedAt === null ? 'never' : formatDate(t.lastUsedAt)}`, t.label].filter(Boolean).join('  '),
          );
        }
      });
    });

  token
    .command('revoke')
    .description('revoke a token at once')
    .argument('<id>', 'the token id (silo token list)')
    .action(async (id: string, _options: unknown, cmd: Command) => {
      await withFleet(ctx, cmd, (fleet) => {
        fleet.apiTokens.revoke(id, ctx.actor);
        ctx.output.print(`Revoked token ${id}.`);
      });
    });
}
