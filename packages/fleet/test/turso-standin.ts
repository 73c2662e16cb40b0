import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { TursoSettingsInput } from '../src/index';
import { REPO_ROOT } from './fixtures/children';

const SCRIPT = fileURLToPath(new URL('./fixtures/turso-standin-process.ts', import.meta.url));

/** The groups every stand-in is started with: one per jurisdiction of the default regions. */
export const STANDIN_GROUPS = { eu: 'silo-eu', us: 'silo-us' } as const;

export interface StandinProcess {
  /** Settings of a Turso engine pointed at this stand-in (tokens minted at start-up). */
  readonly settings: TursoSettingsInput;
  stop(): Promise<void>;
}

/**
 * Starts the Turso stand-in (packages/turso-standin) on loopback in a child process. It is
 * killed when stopped, even when a runaway statement keeps it from answering.
 */
export async function startStandinProcess(dataDir: string, options: { notReadyMs?: number } = {}): Promise<StandinProcess> {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      SCRIPT,
      JSON.stringify({
        dataDir,
        notReadyMs: options.notReadyMs ?? 100,
        groups: [
          { name: STANDIN_GROUPS.eu, location: 'aws-eu-west-1' },
          { name: STANDIN_GROUPS.us, location: 'aws-us-east-1' },
        ],
      }),
    ],
    { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const killChild = (): void => void child.kill('SIGKILL');
  process.once('exit', killChild);
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const started = await new Promise<{ platformUrl: string; org: string; apiToken: string }>((resolve, reject) => {
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const line = stdout.split('\n')[0];
      if (stdout.includes('\n') && line) resolve(JSON.parse(line) as { platformUrl: string; org: string; apiToken: string });
    });
    child.once('exit', (code) => reject(new Error(`The Turso stand-in exited (${code}) before listening:\n${stderr}`)));
  });
  return {
    settings: {
      org: started.org,
      apiToken: started.apiToken,
      apiUrl: started.platformUrl,
      groups: { ...STANDIN_GROUPS },
      tls: false,
      readyTimeoutMs: 10_000,
    },
    async stop() {
      process.off('exit', killChild);
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      // SIGKILL: a stand-in busy with a runaway statement never gets to handle SIGTERM.
      child.kill('SIGKILL');
      await exited;
    },
  };
}
