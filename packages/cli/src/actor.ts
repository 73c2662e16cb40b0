import { userInfo } from 'node:os';

/** Who the audit log names for CLI operations: `cli:<os username>`. */
export function cliActor(env: NodeJS.ProcessEnv = process.env): string {
  let user: string | undefined;
  try {
    user = userInfo().username;
  } catch {
    // No passwd entry for this uid (common in containers): fall back to the environment.
  }
  user ||= env['USER'] || env['LOGNAME'] || env['USERNAME'] || 'unknown';
  return `cli:${user}`;
}
