/**
 * The deployment files and guide (issue #16): the systemd units are sandboxed and run what
 * exists, the env example holds settings only (valid ones, no secrets), and every variable,
 * `silo` command, option and npm script docs/deploy.md names exists in the code.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { SETTINGS, checkSettings, type SettingName } from '@silo/fleet/internal';
import { createContext } from '../../packages/cli/src/context';
import { terminalPrompt } from '../../packages/cli/src/confirm';
import { Output } from '../../packages/cli/src/output';
import { buildProgram } from '../../packages/cli/src/program';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const read = (file: string): string => readFileSync(path.join(ROOT, file), 'utf8');
const UNITS = readdirSync(path.join(ROOT, 'deploy/systemd')).filter((file) => file.endsWith('.service'));
const guide = read('docs/deploy.md');
const program = buildProgram(createContext(new Output(process.stdout, process.stderr), terminalPrompt(), {}, 'test'));

/** Not Silo's settings, but read on its behalf: by Node, by the AWS SDK for S3 backups, and by the deploy/silo wrapper. */
const OTHER_VARIABLES = new Set(['NODE_ENV', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'SILO_CLI']);

function isSetting(name: string): name is SettingName {
  return name in SETTINGS;
}

/** `KEY=value` lines of an env file, quotes removed as systemd and sh both do. */
function envFile(text: string): Record<string, string> {
  const entries = text
    .split('\n')
    .filter((line) => /^[A-Z_][A-Z0-9_]*=/.test(line))
    .map((line) => {
      const at = line.indexOf('=');
      return [line.slice(0, at), line.slice(at + 1).replace(/^'(.*)'$|^"(.*)"$/, '$1$2')] as const;
    });
  return Object.fromEntries(entries);
}

/** The command `silo a b …` names, and the words left over. */
function resolveCommand(words: readonly string[]): { command: Command; rest: string[] } {
  let command: Command = program;
  let index = 0;
  for (; index < words.length; index += 1) {
    const next = command.commands.find((sub) => sub.name() === words[index]);
    if (!next) break;
    command = next;
  }
  return { command, rest: words.slice(index) };
}

function optionsOf(command: Command): Set<string> {
  const names = new Set<string>(['--help']);
  for (let at: Command | null = command; at; at = at.parent) for (const option of at.options) if (option.long) names.add(option.long);
  return names;
}

const WORDS = String.raw`((?:[a-z][a-z-]*|--[a-z-]+|<[^>]+>|[\w./@:=-]+)(?: +(?:[a-z][a-z-]*|--[a-z-]+|<[^>]+>|[\w./@:=-]+))*)`;
const SILO = new RegExp(String.raw`(?:^|\s|sudo |npx )silo ${WORDS}`, 'g');
const CONTAINER_SILO = new RegExp(String.raw`(?:silo silo|run --rm [a-z]+ silo) ${WORDS}`, 'g');

/** Every `silo …` invocation in the guide's code: after `sudo`, `npx`, a role of the container, or alone. */
function siloInvocations(text: string): string[][] {
  const code = [...text.matchAll(/```[a-z]*\n([\s\S]*?)```/g), ...text.matchAll(/`([^`\n]+)`/g)].map((match) => match[1] ?? '');
  const found: string[][] = [];
  for (const block of code) {
    for (const line of block.split('\n')) {
      // In a container command `silo` is also the image's name: there the command follows the
      // role `silo` (`… silo silo admin add`) or a service (`compose run --rm todos silo migrate`).
      const pattern = /\b(podman|docker)\b/.test(line) ? CONTAINER_SILO : SILO;
      for (const match of line.matchAll(pattern)) {
        const words = (match[1] ?? '').split(/ +/).filter((word) => !word.startsWith('#'));
        const comment = words.findIndex((word) => word.startsWith('#'));
        found.push(comment >= 0 ? words.slice(0, comment) : words);
      }
    }
  }
  return found;
}

describe('the systemd units', () => {
  it.each(UNITS)('%s runs as silo, sandboxed, writing only /var/lib/silo', (unit) => {
    const text = read(`deploy/systemd/${unit}`);
    for (const line of [
      'User=silo',
      'NoNewPrivileges=yes',
      'ProtectSystem=strict',
      'ReadWritePaths=/var/lib/silo',
      'ProtectHome=yes',
      'PrivateTmp=yes',
      'UMask=0077',
      'EnvironmentFile=/etc/silo/silo.env',
      'EnvironmentFile=-/etc/silo/secrets.env',
      // A graceful stop signals the server, not the child processes serving its last requests.
      'KillMode=mixed',
    ]) {
      expect(text.split('\n')).toContain(line);
    }
    // Secrets come from the root-only file, never from the unit.
    expect(text).not.toMatch(/^Environment=/m);
  });

  it.each(UNITS)('%s starts something that exists in the release', (unit) => {
    const exec = /^ExecStart=(.+)$/m.exec(read(`deploy/systemd/${unit}`))?.[1]?.split(' ') ?? [];
    expect(exec[0]).toBe('/usr/bin/node');
    const script = exec.find((word) => word.startsWith('/opt/silo/'));
    expect(script && existsSync(path.join(ROOT, script.slice('/opt/silo/'.length)))).toBe(true);
    if (script?.endsWith('silo.mjs')) {
      const { command, rest } = resolveCommand(exec.slice(exec.indexOf(script) + 1));
      expect(command).not.toBe(program);
      for (const word of rest.filter((entry) => entry.startsWith('--'))) expect(optionsOf(command)).toContain(word);
    }
  });
});

describe('the env files', () => {
  it('silo.env.example holds valid settings and no secret', () => {
    const env = envFile(read('deploy/silo.env.example'));
    for (const name of Object.keys(env)) expect(OTHER_VARIABLES.has(name) || isSetting(name), name).toBe(true);
    for (const name of Object.keys(env).filter(isSetting)) expect('secret' in SETTINGS[name], `${name} is a secret`).toBe(false);
    expect(checkSettings(env, ['fleet', 'apps', 'backups', 'turso', 'catalog'])).toEqual([]);
    // The commented S3 example is valid too once uncommented.
    const uncommented = envFile(read('deploy/silo.env.example').replaceAll(/^# (SILO_)/gm, '$1'));
    expect(uncommented['SILO_BACKUP_LOCATIONS']).toMatch(/^eu-west=s3:\/\/.*jurisdiction=eu/);
  });

  it('secrets.env.example names settings and credentials, with no value', () => {
    const env = envFile(read('deploy/secrets.env.example'));
    for (const [name, value] of Object.entries(env)) {
      expect(OTHER_VARIABLES.has(name) || isSetting(name), name).toBe(true);
      expect(value, name).toBe('');
    }
  });
});

describe('docs/deploy.md names only what exists', () => {
  it('every variable is a setting (or read for Silo by Node or the AWS SDK)', () => {
    const named = new Set([...guide.matchAll(/\b(?:SILO|ADMIN|AWS)_[A-Z0-9_]*[A-Z0-9]\b|\b(?:PORT|HOST|LOG_LEVEL|NODE_ENV|TODOS_URL)\b/g)].map((match) => match[0]));
    expect([...named].filter((name) => !isSetting(name) && !OTHER_VARIABLES.has(name))).toEqual([]);
    expect(named.size).toBeGreaterThan(30);
  });

  it('every `silo` command and option exists', () => {
    const invocations = siloInvocations(guide);
    expect(invocations.length).toBeGreaterThan(15);
    for (const words of invocations) {
      const { command, rest } = resolveCommand(words);
      expect(command, `silo ${words.join(' ')}`).not.toBe(program);
      for (const word of rest.filter((entry) => entry.startsWith('--'))) expect(optionsOf(command), `silo ${words.join(' ')}`).toContain(word);
    }
  });

  it('every npm script and workspace exists, and every repository file it links', () => {
    const scripts = (JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts;
    for (const match of guide.matchAll(/npm run ([a-z:-]+)/g)) expect(Object.keys(scripts)).toContain(match[1]);
    for (const match of guide.matchAll(/-w (@silo\/[a-z-]+)/g)) expect(existsSync(path.join(ROOT, 'apps', (match[1] ?? '').slice('@silo/'.length)))).toBe(true);
    for (const match of guide.matchAll(/\]\(\.\.\/([^)#]+)/g)) expect(existsSync(path.join(ROOT, match[1] ?? '')), match[1]).toBe(true);
  });
});
