import type { Command } from 'commander';
import { hashPassword, passwordProblem, randomToken } from '@silo/web';
import { withFleet, type CliContext } from '../context';
import { CliFailure } from '../errors';
import { formatDate } from '../format/time';
import { examples } from '../help';

interface PasswordOptions {
  passwordStdin?: boolean;
}

interface JsonOption {
  json?: boolean;
}

/** Reads the whole of stdin (for --password-stdin); the trailing newline is not part of the password. */
async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

/**
 * The new password: from stdin, typed at a prompt, or generated and printed once. The
 * returned `generated` is shown to the operator and never stored.
 */
async function choosePassword(ctx: CliContext, options: PasswordOptions): Promise<{ password: string; generated: boolean }> {
  let password: string | undefined;
  if (options.passwordStdin) password = await readStdin();
  else if (ctx.prompt.interactive) {
    const typed = await ctx.prompt.askSecret('New password (leave empty to generate one): ');
    password = typed === '' ? undefined : typed;
  }
  if (password === undefined) return { password: randomToken().slice(0, 24), generated: true };
  const problem = passwordProblem(password);
  if (problem) throw new CliFailure(`That password is not acceptable: ${problem}`);
  return { password, generated: false };
}

function announce(ctx: CliContext, email: string, secret: { password: string; generated: boolean }, verb: string): void {
  ctx.output.print(`${verb} ${email}.`);
  if (secret.generated) {
    ctx.output.print(`Password: ${secret.password}`);
    ctx.output.note('This password is shown once; it is stored only as a hash.');
  }
}

/** `silo admin`: accounts of the admin console (stored in the catalog, passwords hashed). */
export function registerAdmin(program: Command, ctx: CliContext): void {
  const admin = program.command('admin').summary('manage admin console accounts').description('manage the accounts that can sign in to the admin console');

  admin
    .command('add')
    .description('add an admin account')
    .argument('<email>', 'their email address (the sign-in name)')
    .option('--password-stdin', 'read the password from stdin (otherwise prompt, or generate one)')
    .action(async (email: string, options: PasswordOptions, cmd: Command) => {
      const secret = await choosePassword(ctx, options);
      const passwordHash = await hashPassword(secret.password);
      await withFleet(ctx, cmd, (fleet) => {
        const user = fleet.admins.create(email, passwordHash, ctx.actor);
        announce(ctx, user.email, secret, 'Added admin');
      }, { createsFleet: true });
    });

  admin
    .command('reset-password')
    .description("set a new password for an admin and end their sessions")
    .argument('<email>', 'the admin to reset')
    .option('--password-stdin', 'read the password from stdin (otherwise prompt, or generate one)')
    .action(async (email: string, options: PasswordOptions, cmd: Command) => {
      await withFleet(ctx, cmd, async (fleet) => {
        if (!fleet.admins.findByEmail(email)) throw new CliFailure(`No admin with the email ${email}. Add one with \`silo admin add ${email}\`.`);
        const secret = await choosePassword(ctx, options);
        fleet.admins.setPasswordHash(email, await hashPassword(secret.password), ctx.actor);
        announce(ctx, email.trim().toLowerCase(), secret, 'New password set for');
      });
    });

  admin
    .command('disable')
    .description('stop an admin from signing in and end their sessions at once (undo with `silo admin enable`)')
    .argument('<email>', 'the admin to disable')
    .action(async (email: string, _options: unknown, cmd: Command) => {
      await withFleet(ctx, cmd, (fleet) => {
        const changed = fleet.admins.disable(email, ctx.actor);
        const normalized = email.trim().toLowerCase();
        ctx.output.print(changed ? `Disabled ${normalized}: their sessions have ended and they cannot sign in.` : `${normalized} was already disabled.`);
      });
    });

  admin
    .command('enable')
    .description('let a disabled admin sign in again')
    .argument('<email>', 'the admin to enable')
    .action(async (email: string, _options: unknown, cmd: Command) => {
      await withFleet(ctx, cmd, (fleet) => {
        const changed = fleet.admins.enable(email, ctx.actor);
        const normalized = email.trim().toLowerCase();
        ctx.output.print(changed ? `Enabled ${normalized}: they can sign in again with their password.` : `${normalized} was not disabled.`);
      });
    });

  admin
    .command('remove')
    .description('remove an admin account and end their sessions at once (their audit entries stay)')
    .argument('<email>', 'the admin to remove')
    .action(async (email: string, _options: unknown, cmd: Command) => {
      await withFleet(ctx, cmd, (fleet) => {
        fleet.admins.remove(email, ctx.actor);
        ctx.output.print(`Removed ${email.trim().toLowerCase()}: their sessions have ended.`);
      });
    });

  admin
    .command('list')
    .description('list admin accounts')
    .option('--json', 'print the accounts as JSON')
    .action(async (options: JsonOption, cmd: Command) => {
      await withFleet(ctx, cmd, (fleet) => {
        const users = fleet.admins.list();
        if (options.json) return ctx.output.json(users);
        if (users.length === 0) {
          ctx.output.print('No admin accounts yet. The console creates one on first start, or run `silo admin add <email>`.');
          return;
        }
        for (const user of users) {
          const disabled = user.disabledAt === null ? '' : `  disabled ${formatDate(user.disabledAt)}`;
          ctx.output.print(`${user.email}  created ${formatDate(user.createdAt)}  last sign-in ${user.lastSignInAt ? formatDate(user.lastSignInAt) : 'never'}${disabled}`);
        }
      });
    });

  examples(admin, ['silo admin add ops@example.com', 'echo "$PASS" | silo admin add ops@example.com --password-stdin', 'silo admin reset-password ops@example.com', 'silo admin disable ops@example.com', 'silo admin enable ops@example.com', 'silo admin remove ops@example.com', 'silo admin list --json']);
}
