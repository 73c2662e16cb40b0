import { readdirSync, readFileSync, statSync, type Dirent } from 'node:fs';
import path from 'node:path';
import { SiloError } from '../errors';
import type { Migration } from '../schema';

/**
 * `0001_create_todos.sql`: a number, an underscore, a name. Wrangler's D1 migrations and
 * drizzle-kit's default (`prefix: 'index'`) output both look like this.
 */
const MIGRATION_FILE = /^(\d+)_([^/\\]+)\.sql$/;

/** drizzle-kit keeps its snapshots and journal here, beside the SQL files. */
const IGNORED_FOLDERS = new Set(['meta']);

interface NumberedFile {
  readonly number: number;
  readonly file: string;
}

/**
 * Reads a folder of numbered plain-SQL migrations into the fleet's migrations (versions 1..N).
 *
 * Wrangler numbers from 0000 (its first `d1 migrations create` in an empty folder) and so does
 * drizzle-kit, while hand-written D1 folders often start at 0001: either start is accepted, and
 * version N is the N-th file, so the numbering a project already has keeps its meaning. After
 * that the numbers must be consecutive: a gap or a duplicate is almost always a file lost or
 * added in a merge, and migrating a fleet with it would be silent and permanent.
 *
 * Files are read verbatim: drizzle-kit's `--> statement-breakpoint` lines are SQL comments,
 * and each migration runs as one script inside the instance's migration transaction.
 */
export function loadMigrationsFolder(folder: string): Migration[] {
  const entries = readFolder(folder);
  const numbered: NumberedFile[] = [];
  for (const entry of entries) {
    if (entry.name.startsWith('.')) continue;
    if (entry.isDirectory()) {
      if (IGNORED_FOLDERS.has(entry.name)) continue;
      throw invalid(
        folder,
        `"${entry.name}" is a folder. Silo reads NNNN_name.sql files directly in the migrations folder (only drizzle-kit's meta/ is skipped); folder-per-migration layouts are not supported.`,
      );
    }
    if (!entry.name.endsWith('.sql')) continue;
    const match = MIGRATION_FILE.exec(entry.name);
    if (!match?.[1]) {
      throw invalid(folder, `"${entry.name}" does not look like NNNN_name.sql (a number, an underscore, a name), so its place in the order is unknown. Rename it, e.g. 0003_${slug(entry.name)}.sql.`);
    }
    numbered.push({ number: Number(match[1]), file: entry.name });
  }
  if (numbered.length === 0) {
    throw invalid(folder, 'it holds no NNNN_name.sql migrations. Write the first one, e.g. 0001_create.sql, or point the config at the right folder.');
  }
  numbered.sort((a, b) => a.number - b.number || a.file.localeCompare(b.file));
  const first = numbered[0] as NumberedFile;
  if (first.number > 1) {
    throw invalid(folder, `the first migration is ${first.file}; numbering starts at 0000 or 0001, so earlier ones are missing.`);
  }
  return numbered.map((entry, index) => {
    const previous = numbered[index - 1];
    if (previous && previous.number === entry.number) {
      throw invalid(folder, `${previous.file} and ${entry.file} have the same number ${entry.number}; renumber one of them.`);
    }
    if (previous && entry.number !== previous.number + 1) {
      throw invalid(folder, `numbering jumps from ${previous.file} to ${entry.file}; migrations must be numbered without gaps.`);
    }
    return { version: index + 1, name: entry.file.slice(0, -'.sql'.length), sql: readSql(path.join(folder, entry.file)) };
  });
}

function readFolder(folder: string): Dirent[] {
  try {
    if (!statSync(folder).isDirectory()) throw invalid(folder, 'it is a file, not a folder of migrations.');
    return readdirSync(folder, { withFileTypes: true });
  } catch (error) {
    if (error instanceof SiloError) throw error;
    throw invalid(folder, `it cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)}). Create it, or fix the path in the config.`);
  }
}

function readSql(file: string): string {
  // Editors on Windows may save a byte-order mark, which SQLite would read as part of a keyword.
  return readFileSync(file, 'utf8').replace(/^\uFEFF/, '');
}

function invalid(folder: string, reason: string): SiloError {
  return new SiloError('SCHEMA_INVALID', `Migrations folder ${folder}: ${reason}`, { details: { folder } });
}

function slug(file: string): string {
  return file.replace(/\.sql$/, '').replace(/[^A-Za-z0-9]+/g, '_').replace(/^_+|_+$/g, '').toLowerCase() || 'name';
}
