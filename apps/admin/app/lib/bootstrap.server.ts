import type { Fleet } from '@silo/fleet';
import { hashPassword, passwordProblem, randomToken } from '@silo/web';
import type { AdminConfig } from './config.server';

/**
 * First start: with no admin in the catalog, create one from ADMIN_EMAIL + ADMIN_PASSWORD, or
 * with a generated one-time password printed once (it is never stored or printed again).
 */
export async function ensureFirstAdmin(fleet: Fleet, config: AdminConfig, print: (line: string) => void): Promise<void> {
  if (fleet.admins.count() > 0) return;
  const email = config.ADMIN_EMAIL.trim().toLowerCase();
  if (config.ADMIN_PASSWORD) {
    const problem = passwordProblem(config.ADMIN_PASSWORD);
    if (problem) throw new Error(`ADMIN_PASSWORD is not acceptable: ${problem}`);
    if (fleet.admins.createFirst(email, await hashPassword(config.ADMIN_PASSWORD), 'admin:first-start')) {
      print(`silo admin: created the first admin ${email} from ADMIN_PASSWORD.`);
    }
    return;
  }
  const password = randomToken().slice(0, 24);
  // Another server sharing the catalog may have created it meanwhile: then there is nothing to show.
  if (!fleet.admins.createFirst(email, await hashPassword(password), 'admin:first-start')) return;
  print(
    [
      '',
      '  ┌ First start: created the admin account',
      `  │   email:    ${email}`,
      `  │   password: ${password}`,
      '  └ This password is shown once. Change it with `silo admin reset-password ' + email + '`.',
      '',
    ].join('\n'),
  );
}
