import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { openFleet, settingsFromEnv, type Fleet } from '@silo/fleet';
import { siloTursoEnv, startJurisdictionStandin, type TursoStandin } from '@silo/turso-standin';
import { TODO_CONFIG, todoConfig, todoSchema } from './todo-config';

export const APP_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export { TODO_CONFIG, todoConfig, todoSchema };
const SERVER_ENTRY = path.join(APP_DIR, 'build', 'server', 'index.js');

export function buildApp(): void {
  execFileSync(process.execPath, [path.join(APP_DIR, '..', '..', 'node_modules', '@react-router', 'dev', 'bin.cjs'), 'build'], {
    cwd: APP_DIR,
    stdio: ['ignore', 'ignore', 'inherit'],
    // Vitest runs with NODE_ENV=test, which Vite would bake into a development React bundle:
    // the tests serve the production build that `npm start` serves.
    env: { ...process.env, NODE_ENV: 'production' },
  });
}

/** Builds only when no build exists (a file run without the global setup). */
export function ensureBuilt(): void {
  if (!existsSync(SERVER_ENTRY)) buildApp();
}

export interface TestServer {
  /** The app's address (not BASE_URL: Vitest sets that one). */
  readonly url: string;
  readonly dataDir: string;
  /** Everything the server wrote to stdout and stderr so far. */
  output(): string;
  /** The server process's id (to send it signals). */
  readonly pid: number;
  /** Resolves with the exit code once the process ended. */
  exited(): Promise<number | null>;
  /** A second fleet on the same data folder, for checks the HTTP surface does not offer. */
  fleet(): Promise<Fleet>;
  /** The Turso stand-in the server's tenants live in, when it runs with SILO_ENGINE=turso. */
  readonly turso: TursoStandin | undefined;
  stop(): Promise<void>;
  /** Kills the server with SIGKILL (a crash) and waits until it is gone; its data folder stays. */
  kill(): Promise<void>;
}

export type TestEngine = 'local' | 'turso';

/**
 * The engine app suites run on: `local` unless SILO_TEST_ENGINE=turso, so any suite can be run
 * a second time on Turso (`SILO_TEST_ENGINE=turso npx vitest run apps/todos/test/http.test.ts`).
 */
export function testEngine(): TestEngine {
  return process.env['SILO_TEST_ENGINE'] === 'turso' ? 'turso' : 'local';
}

/**
 * With `engine: 'turso'` the server gets a Turso stand-in on loopback (one per server) and only
 * environment variables telling it so: the app runs unchanged.
 */
export async function startServer(
  env: Record<string, string> = {},
  options: { engine?: TestEngine; standin?: TursoStandin; /** A data folder the caller owns (kept by stop), e.g. to restart on it. */ dataDir?: string } = {},
): Promise<TestServer> {
  ensureBuilt();
  const dataDir = options.dataDir ?? mkdtempSync(path.join(tmpdir(), 'silo-todos-test-'));
  let turso: TursoStandin | undefined;
  // A stand-in passed in is shared (several servers, one Turso) and stays up after stop().
  let ownsStandin = false;
  if (options.standin || (options.engine ?? testEngine()) === 'turso') {
    ownsStandin = options.standin === undefined;
    turso = options.standin ?? (await startJurisdictionStandin(path.join(dataDir, 'turso-standin'), { notReadyMs: 300 }));
    env = { ...siloTursoEnv(turso), ...env };
  }
  const childEnv: NodeJS.ProcessEnv = {
    ...process.env,
    NODE_ENV: 'production',
    PORT: '0',
    HOST: '127.0.0.1',
    SILO_DATA_DIR: dataDir,
    SILO_CREATE_LIMIT_PER_HOUR: '1000',
    SILO_SIGNIN_LIMIT_PER_IP: '1000',
    ...env,
  };
  const child: ChildProcess = spawn(process.execPath, ['--conditions=@silo/source', '--import', 'tsx', path.join(APP_DIR, 'server.ts')], {
    cwd: APP_DIR,
    env: childEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // Never outlive the test process, even when a suite crashes before its afterAll.
  const killChild = () => child.kill('SIGKILL');
  process.once('exit', killChild);
  child.once('exit', () => process.off('exit', killChild));
  let stderr = '';
  let output = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
    output += chunk.toString();
  });
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    let stdout = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const match = /listening on (http:\/\/\S+)/.exec(stdout);
      if (match?.[1]) resolve(match[1]);
    });
    child.once('exit', (code) => reject(new Error(`The server exited (${code}) before listening:\n${stderr}`)));
  });
  let fleet: Promise<Fleet> | undefined;
  const exited = new Promise<number | null>((resolve) => {
    if (child.exitCode !== null) resolve(child.exitCode);
    else child.once('exit', (code) => resolve(code));
  });
  return {
    url,
    dataDir,
    turso,
    pid: child.pid ?? 0,
    exited: () => exited,
    output: () => output,
    fleet() {
      // The server's own settings (engine included: SILO_ENGINE=turso reaches the same databases).
      fleet ??= todoSchema().then((schema) => openFleet({ schema, ...settingsFromEnv(childEnv), dataDir, reconcileOnOpen: false, actor: 'test' }));
      return fleet;
    },
    async stop() {
      if (fleet) await (await fleet).close();
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await exited;
      }
      if (ownsStandin) await turso?.close();
      if (!options.dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
    async kill() {
      if (fleet) await (await fleet).close();
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGKILL');
        await exited;
      }
      if (ownsStandin) await turso?.close();
    },
  };
}
