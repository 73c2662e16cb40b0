import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const LOGGER = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../src/app-server/logger.ts');
const PROGRAM = `import { createLogger } from ${JSON.stringify(LOGGER)};
const logger = createLogger({ app: 'silo test', level: process.env.LOG_LEVEL ?? 'info' });
logger.debug('hidden unless debug');
logger.info({ password: 'hunter2-secret' }, 'hello from the logger');`;

function run(env: Record<string, string> = {}): string {
  const result = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', PROGRAM], { encoding: 'utf8', env: { ...process.env, ...env } });
  if (result.status !== 0) throw new Error(result.stderr);
  return result.stdout;
}

describe('the logger', () => {
  it('writes JSON lines when stdout is not a terminal, honours LOG_LEVEL and redacts secret fields', () => {
    const lines = run().trim().split('\n');
    expect(lines).toHaveLength(1);
    const record = JSON.parse(lines[0] ?? '') as Record<string, unknown>;
    expect(record).toMatchObject({ level: 30, app: 'silo test', msg: 'hello from the logger', password: '[redacted]' });
    expect(run({ LOG_LEVEL: 'debug' })).toContain('hidden unless debug');
    expect(run({ LOG_LEVEL: 'warn' })).toBe('');
  });

  it.skipIf(!existsSync('/usr/bin/script'))('is pretty on a terminal (util-linux script gives it one)', () => {
    const command = [process.execPath, '--import', 'tsx', '--input-type=module', '-e', PROGRAM].map((arg) => `'${arg.replaceAll("'", "'\\''")}'`).join(' ');
    const result = spawnSync('/usr/bin/script', ['-qec', command, '/dev/null'], { encoding: 'utf8' });
    expect(result.status).toBe(0);
    // eslint-disable-next-line no-control-regex -- colours are what pretty adds on a terminal
    const text = result.stdout.replace(/\u001b\[[0-9;]*m/g, '');
    expect(text).toContain('hello from the logger');
    expect(text).toContain('INFO');
    expect(text.trim().startsWith('{')).toBe(false);
    expect(text).not.toContain('hunter2-secret');
  });
});
