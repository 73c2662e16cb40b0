import { spawn, spawnSync, type ChildProcessByStdio } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { TODO_CONFIG, todoConfig, todoSchema } from '../../../apps/todos/test/todo-config';

/** The real launcher, run by the real Node: what a user's shell runs. */
export const SILO_BIN = fileURLToPath(new URL('../bin/silo.mjs', import.meta.url));

export { TODO_CONFIG, todoConfig, todoSchema };

export interface SiloRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface RunOptions {
  cwd?: string;
  env?: Record<string, string>;
}

/** A fresh fleet folder, removed by the returned cleanup. */
export function tempDir(prefix = 'silo-cli-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * An environment without the caller's SILO_* settings or colour forcing, so runs are
 * reproducible. Runs happen in temp folders, which no silo.config.* is above: SILO_CONFIG names
 * the TODO demo's (`SILO_CONFIG: ''` in `extra` turns that off, for the search's own tests).
 */
export function cleanEnv(dataDir: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (key.startsWith('SILO_') || key === 'FORCE_COLOR' || key === 'NODE_OPTIONS') continue;
    env[key] = value;
  }
  return { ...env, SILO_DATA_DIR: dataDir, SILO_CONFIG: TODO_CONFIG, NO_COLOR: '1', ...extra };
}

/** Runs `silo <args>` against `dataDir` with stdin closed (never a terminal). */
export function silo(dataDir: string, args: readonly string[], options: RunOptions = {}): Promise<SiloRun> {
  return startSilo(dataDir, args, { ...options, ownGroup: false }).finished;
}

/** A `silo` process still running: for tests that signal it or close its stdout meanwhile. */
export interface RunningSilo {
  readonly child: ChildProcessByStdio<null, Readable, Readable>;
  /** How it ended; `signal` is set when a signal ended it (then `code` is null). */
  readonly finished: Promise<SiloRun & { signal: NodeJS.Signals | null }>;
  /** Sends `signal` to its process group, as a terminal's Ctrl+C does (the process and any it started). */
  interrupt(signal?: NodeJS.Signals): void;
}

/**
 * Starts `silo <args>` as `silo()` does, without waiting for it, by default in a process group
 * of its own: what a shell gives a command, and what a terminal's Ctrl+C signals as a whole.
 */
export function startSilo(dataDir: string, args: readonly string[], options: RunOptions & { ownGroup?: boolean } = {}): RunningSilo {
  const ownGroup = options.ownGroup ?? true;
  const child = spawn(process.execPath, [SILO_BIN, ...args], {
    cwd: options.cwd ?? dataDir,
    env: cleanEnv(dataDir, options.env),
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: ownGroup,
  });
  const finished = outputOf(child);
  const interrupt = (signal: NodeJS.Signals = 'SIGINT'): void => {
    if (child.pid !== undefined) process.kill(ownGroup ? -child.pid : child.pid, signal);
  };
  return { child, finished, interrupt };
}

/** `silo <args>` with `input` on stdin (the shell, `query --file -`, password prompts read from a pipe). */
export function siloWithInput(dataDir: string, args: readonly string[], input: string, env: Record<string, string> = {}): Promise<SiloRun> {
  const child = spawn(process.execPath, [SILO_BIN, ...args], { cwd: dataDir, env: cleanEnv(dataDir, env), stdio: ['pipe', 'pipe', 'pipe'] });
  child.stdin.end(input);
  return outputOf(child);
}

/** Everything a child process wrote to stdout and stderr, and how it ended. */
export function outputOf(child: { stdout: Readable; stderr: Readable; on(event: 'error', listener: (error: Error) => void): unknown; on(event: 'close', listener: (code: number | null, signal: NodeJS.Signals | null) => void): unknown }): Promise<SiloRun & { signal: NodeJS.Signals | null }> {
  return new Promise((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

/** Parses stdout as JSON, showing the whole run when it is not. */
export function json<T>(run: SiloRun): T {
  try {
    return JSON.parse(run.stdout) as T;
  } catch {
    throw new Error(`stdout is not JSON (exit ${run.code}):\n${run.stdout}\nstderr:\n${run.stderr}`);
  }
}

/** util-linux `script`, which runs a command on a pseudo-terminal; absent on some systems. */
export const HAS_SCRIPT = process.platform === 'linux' && spawnSync('script', ['--version'], { stdio: 'ignore' }).status === 0;

/**
 * Runs `silo <args>` with stdin, stdout and stderr on a terminal (through `script`), typing
 * `answer` once `prompt` appears. Output comes back merged, as a terminal shows it.
 */
export function siloOnTerminal(dataDir: string, args: readonly string[], prompt: string, answer: string): Promise<{ code: number | null; output: string }> {
  return siloTyping(dataDir, args, [[prompt, `${answer}\r`]]);
}

/**
 * Runs `silo <args>` on a terminal as `siloOnTerminal` does, typing each step's keys (Enter is
 * `\r`, Ctrl+C `\u0003`, Ctrl+D `\u0004`) once its text has appeared after the previous step's.
 */
export async function siloTyping(
  dataDir: string,
  args: readonly string[],
  steps: readonly (readonly [waitFor: string, keys: string])[],
  env: Record<string, string> = {},
): Promise<{ code: number | null; output: string }> {
  const { code, output } = await terminalSession(dataDir, args, steps.map(([waitFor, keys]) => ({ waitFor, keys })), { env });
  return { code, output };
}

export interface TerminalStep {
  /** Text to wait for, after the previous step's. */
  readonly waitFor: string;
  /** Keys to type then: Enter is `\r`, Ctrl+C `\u0003`, Ctrl+D `\u0004`. */
  readonly keys: string;
  /** Typed this much later, as a person would, so a statement just started is well under way. */
  readonly afterMs?: number;
  /** Sent to silo itself instead of typing `keys`: a `kill`, not the terminal's Ctrl+C. */
  readonly signal?: NodeJS.Signals;
}

/**
 * `silo <args>` on a pseudo-terminal (util-linux `script`), typing each step's keys once its
 * text has appeared. `exec` puts silo itself in the terminal's foreground process group, as an
 * interactive shell would: without it a non-interactive `sh` (dash, when $SHELL is unset or
 * /bin/sh) waits in that group and dies of the first Ctrl+C the terminal turns into a SIGINT,
 * ending the session. A session still going after `giveUpMs` is killed and says `gaveUp`.
 */
export function terminalSession(
  dataDir: string,
  args: readonly string[],
  steps: readonly TerminalStep[],
  options: { env?: Record<string, string>; giveUpMs?: number } = {},
): Promise<{ code: number | null; output: string; gaveUp: boolean }> {
  const quote = (arg: string): string => `'${arg.replace(/'/g, `'\\''`)}'`;
  const command = `exec ${[process.execPath, SILO_BIN, ...args].map(quote).join(' ')}`;
  return new Promise((resolve, reject) => {
    const child = spawn('script', ['-qec', command, '/dev/null'], { cwd: dataDir, env: cleanEnv(dataDir, options.env), stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    let step = 0;
    let from = 0;
    let gaveUp = false;
    const giveUp =
      options.giveUpMs === undefined
        ? undefined
        : setTimeout(() => {
            gaveUp = true;
            child.kill('SIGKILL');
          }, options.giveUpMs);
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      output += chunk;
      for (let next = steps[step]; next !== undefined; next = steps[step]) {
        const at = output.indexOf(next.waitFor, from);
        if (at === -1) break;
        from = at + next.waitFor.length;
        const { keys, afterMs, signal } = next;
        const act = (): void => {
          if (signal === undefined) child.stdin.write(keys);
          else signalSilo(child.pid, signal);
        };
        if (afterMs === undefined) act();
        else setTimeout(act, afterMs);
        step++;
      }
    });
    child.stderr.resume();
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(giveUp);
      resolve({ code, output, gaveUp });
    });
  });
}

/** Sends `signal` to the process `script` (pid `scriptPid`) runs the command in: silo, which the command execs. */
function signalSilo(scriptPid: number | undefined, signal: NodeJS.Signals): void {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const parent = Number(readFileSync(`/proc/${entry}/stat`, 'utf8').replace(/^.*\) /s, '').split(' ')[1]);
      if (parent === scriptPid) process.kill(Number(entry), signal);
    } catch {
      // Gone meanwhile.
    }
  }
}

/** Any byte that acts on a terminal: C0 controls but newline, DEL, C1, bidi controls. */
// eslint-disable-next-line no-control-regex -- looking for exactly these bytes is the point
export const TERMINAL_ACTIVE = /[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/;
