import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { TursoStandin, TursoStandinOptions } from './standin';

const SERVE = fileURLToPath(new URL('./serve.ts', import.meta.url));
/** `--import tsx` resolves from the working directory: the package's, whoever starts it. */
const PACKAGE_DIR = fileURLToPath(new URL('..', import.meta.url));

/**
 * The stand-in in a child process (serve.ts). Needed by callers that open embedded replicas
 * in their own process (a replica's sync blocks the event loop, so an in-process stand-in
 * could never answer it), and by tests whose statements may never end (the runaway query
 * then occupies the stand-in's process, not the test's). `close()` kills it outright, so a
 * stand-in stuck in such a statement still stops.
 */
export async function startStandinProcess(options: TursoStandinOptions): Promise<TursoStandin> {
  const child = spawn(process.execPath, ['--import', 'tsx', SERVE, JSON.stringify(options)], { cwd: PACKAGE_DIR, stdio: ['ignore', 'pipe', 'pipe'] });
  const killChild = (): void => void child.kill('SIGKILL');
  process.once('exit', killChild);
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const started = await new Promise<Pick<TursoStandin, 'platformUrl' | 'org' | 'apiToken'>>((resolve, reject) => {
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const line = stdout.split('\n')[0];
      if (stdout.includes('\n') && line) resolve(JSON.parse(line) as Pick<TursoStandin, 'platformUrl' | 'org' | 'apiToken'>);
    });
    child.once('exit', (code) => reject(new Error(`The Turso stand-in exited (${code}) before listening:\n${stderr}`)));
  });
  const { platformUrl, org, apiToken } = started;
  return {
    platformUrl,
    org,
    apiToken,
    apiClientConfig: { org, token: apiToken, baseUrl: platformUrl },
    close: async () => {
      process.off('exit', killChild);
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
    },
  };
}
