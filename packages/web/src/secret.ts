import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';

/**
 * The server secret (CSRF tokens, signed cookies): SILO_SECRET when set, otherwise a random
 * key generated once into the data folder with owner-only permissions. Never in the repo,
 * never logged.
 */
export function loadSecret(dataDir: string, env: NodeJS.ProcessEnv = process.env): string {
  const fromEnv = env['SILO_SECRET'];
  if (fromEnv !== undefined && fromEnv !== '') {
    if (fromEnv.length < 32) throw new Error('SILO_SECRET must be at least 32 characters long.');
    return fromEnv;
  }
  const file = path.join(dataDir, 'secret.key');
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    const secret = randomBytes(32).toString('base64url');
    try {
      // 'wx': if another process created it first, use theirs.
      writeFileSync(file, `${secret}\n`, { flag: 'wx', mode: 0o600 });
      chmodSync(file, 0o600);
      return secret;
    } catch {
      return readFileSync(file, 'utf8').trim();
    }
  }
}
