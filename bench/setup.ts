import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { defineTenantSchema, loadSiloConfig, openFleet, type Fleet, type FleetSettingsInput } from '@silo/fleet';
import { LocalEngine } from '@silo/fleet/internal';

/** The TODO app's tenant schema, from the demo's config at the repository root (the environment left out). */
export const todoSchema = (await loadSiloConfig({ path: fileURLToPath(new URL('../silo.config.ts', import.meta.url)), env: {} })).fleet.schema;

/** The TODO app's schema plus the benchmark's migration: a column and an index. */
export const benchSchemaV2 = defineTenantSchema({
  id: todoSchema.id,
  migrations: [
    ...todoSchema.migrations,
    { version: todoSchema.latestVersion + 1, name: 'due dates', sql: 'ALTER TABLE todos ADD COLUMN due_at INTEGER; CREATE INDEX todos_due ON todos (due_at);' },
  ],
});

export const MIGRATION_SQL = benchSchemaV2.migrations.at(-1)?.sql ?? '';

const dirs: string[] = [];

export function scratch(label: string): string {
  const dir = mkdtempSync(path.join(process.env['SILO_BENCH_DIR'] ?? tmpdir(), `silo-bench-${label}-`));
  dirs.push(dir);
  return dir;
}

export function cleanScratch(): void {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}

export function benchFleet(dataDir: string, settings: Partial<FleetSettingsInput> = {}, schema = todoSchema): Promise<Fleet> {
  return openFleet({ dataDir, schema, actor: 'bench', ...settings });
}

/** The raw baseline of a create: open, WAL, schema, close — what a hand-written system does. */
export function rawCreate(file: string): void {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.exec(todoSchema.migrations.map((m) => m.sql).join('\n'));
  db.pragma(`user_version = ${todoSchema.latestVersion}`);
  db.close();
}

export function log(message: string): void {
  process.stderr.write(`${message}\n`);
}

/** The file behind an instance on the local engine (the baselines work on files directly). */
export function localFile(fleet: Fleet, dbUrl: string): string {
  if (!(fleet.engine instanceof LocalEngine)) throw new Error('the benchmarks run on the local engine');
  return fleet.engine.pathOf(dbUrl);
}
