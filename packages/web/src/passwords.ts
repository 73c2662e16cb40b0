import { hash, verify } from '@node-rs/argon2';

/**
 * Passwords are hashed with argon2id (the OWASP first choice) through @node-rs/argon2, which
 * ships prebuilt binaries and runs off the event loop.
 */
export const PASSWORD_MIN_LENGTH = 10;
export const PASSWORD_MAX_LENGTH = 200;

export function hashPassword(password: string): Promise<string> {
  return hash(password);
}

/** false for a wrong password and for a malformed hash alike: never throws on bad input. */
export async function verifyPassword(passwordHash: string, password: string): Promise<boolean> {
  try {
    return await verify(passwordHash, password);
  } catch {
    return false;
  }
}

/** Why a new password is not acceptable, or undefined when it is. */
export function passwordProblem(password: string): string | undefined {
  if (password.length < PASSWORD_MIN_LENGTH) return `Use at least ${PASSWORD_MIN_LENGTH} characters.`;
  if (password.length > PASSWORD_MAX_LENGTH) return `Use at most ${PASSWORD_MAX_LENGTH} characters.`;
  if (password.trim().length === 0) return 'A password cannot be only spaces.';
  return undefined;
}
