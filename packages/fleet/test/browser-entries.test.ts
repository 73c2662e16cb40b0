import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256Hex } from '../src/sha256';
import { defineTenantSchema } from '../src/schema';
import type * as SourceSchema from '../src/schema';

const FLEET_DIR = fileURLToPath(new URL('..', import.meta.url));
const TSDOWN = path.join(path.dirname(createRequire(import.meta.url).resolve('tsdown/package.json')), 'dist/run.mjs');

/** Every module specifier a built file names: static imports, re-exports and dynamic import(). */
function specifiersOf(source: string): string[] {
  const found: string[] = [];
  for (const match of source.matchAll(/\b(?:import|export)\s[^;'"]*?\bfrom\s*["']([^"']+)["']|\bimport\s*["']([^"']+)["']|\bimport\s*\(\s*["']([^"']+)["']\s*\)|\brequire\s*\(\s*["']([^"']+)["']\s*\)/g)) {
    found.push(match[1] ?? match[2] ?? match[3] ?? match[4] ?? '');
  }
  return found;
}

/** The files an entry loads, following its relative imports, with every specifier they name. */
function importGraph(entry: string): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  const pending = [entry];
  for (let file = pending.pop(); file !== undefined; file = pending.pop()) {
    if (graph.has(file)) continue;
    const specifiers = specifiersOf(readFileSync(file, 'utf8'));
    graph.set(file, specifiers);
    for (const specifier of specifiers) if (specifier.startsWith('.')) pending.push(path.resolve(path.dirname(file), specifier));
  }
  return graph;
}

describe('the browser-safe entries as built for npm', () => {
  let outDir: string;

  beforeAll(() => {
    // The package's own tsdown config, so the chunks are the ones npm gets (schema.mjs re-exports
    // a chunk shared with index.mjs); only the output goes to a temporary folder.
    outDir = mkdtempSync(path.join(tmpdir(), 'silo-fleet-build-'));
    execFileSync(process.execPath, [TSDOWN, '--out-dir', outDir, '--no-dts', '--no-sourcemap', '--logLevel', 'error'], { cwd: FLEET_DIR, stdio: 'pipe' });
  });

  afterAll(() => rmSync(outDir, { recursive: true, force: true }));

  it.each(['schema.mjs', 'format.mjs', 'unsafe-chars.mjs'])('%s and the chunks it loads import only each other (no node: builtins, no packages)', (entry) => {
    const graph = importGraph(path.join(outDir, entry));
    const external = [...graph].flatMap(([file, specifiers]) => specifiers.filter((s) => !s.startsWith('.')).map((s) => `${path.basename(file)}: ${s}`));
    expect(external).toEqual([]);
    for (const file of graph.keys()) expect(readFileSync(file, 'utf8')).not.toMatch(/\bBuffer\b|\bprocess\.|\bglobalThis\.require\b/);
  });

  it('defines a schema from the built entry with the same fingerprint as the sources', async () => {
    const built = (await import(pathToFileURL(path.join(outDir, 'schema.mjs')).href)) as typeof SourceSchema;
    const input = { id: 'notes', migrations: [{ version: 1, name: 'init', sql: 'CREATE TABLE note (id INTEGER PRIMARY KEY, body TEXT);' }] };
    expect(built.defineTenantSchema(input).fingerprint).toBe(defineTenantSchema(input).fingerprint);
  });
});

describe('the schema fingerprint', () => {
  it('is SHA-256 as node:crypto computes it, so existing templates keep their names', () => {
    const samples = ['', 'abc', 'a'.repeat(55), 'a'.repeat(56), 'a'.repeat(64), 'x'.repeat(1_000), 'héllo ✓ 𝄞 \0 end', '\ud800 lone surrogate'];
    for (const sample of samples) expect(sha256Hex(sample)).toBe(createHash('sha256').update(sample).digest('hex'));
  });

  it('is unchanged for a fixed schema', () => {
    const schema = defineTenantSchema({
      id: 'pinned',
      migrations: [
        { version: 2, name: 'second', sql: 'ALTER TABLE t ADD COLUMN b TEXT;' },
        { version: 1, name: 'first', sql: 'CREATE TABLE t (a INTEGER);' },
      ],
    });
    const expected = createHash('sha256').update('1\0CREATE TABLE t (a INTEGER);\0').update('2\0ALTER TABLE t ADD COLUMN b TEXT;\0').digest('hex').slice(0, 16);
    expect(schema.fingerprint).toBe(expected);
  });
});
