import { open, readFile, readdir, rename, rm, rmdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { isAbandonedTemp, isTempFile, tempSibling } from '../files';
import { PRIVATE_FILE_MODE, makePrivateDir } from '../permissions';

/** One stored object: its key (`/`-separated, relative to the location) and metadata. */
export interface StoredObject {
  readonly key: string;
  readonly size: number;
  readonly modifiedAt: number;
}

/**
 * A backup location's storage: a flat key space of immutable objects. Writes are durable and
 * all-or-nothing when `putAll` resolves; readers never see a partly written object.
 */
export interface BackupStore {
  /** For messages: the folder or the bucket URL. */
  readonly description: string;
  /** Writes every entry; when it resolves all of them are durable. */
  putAll(entries: readonly { key: string; data: Uint8Array }[]): Promise<void>;
  /** The object's bytes, or undefined when there is none. */
  get(key: string): Promise<Buffer | undefined>;
  /** Every object whose key starts with `prefix` (recursively), in key order. */
  list(prefix: string): Promise<StoredObject[]>;
  /** The next path segments below `prefix` (which ends with `/`), like S3's common prefixes. */
  children(prefix: string): Promise<string[]>;
  /** Removes these objects; missing ones are fine. */
  delete(keys: readonly string[]): Promise<void>;
  /** Removes what interrupted writers left behind under `prefix` (see `isAbandonedTemp`); never a live writer's file. */
  sweepLeftovers(prefix: string): Promise<number>;
}

/**
 * A folder on this machine (the default: `<region folder>/backups`). Objects are files written
 * to a temp name, fsynced and renamed; the folders are fsynced so the names survive a power cut.
 */
export class FolderStore implements BackupStore {
  readonly #root: string;
  readonly #knownDirs = new Set<string>();

  constructor(root: string) {
    this.#root = path.resolve(root);
  }

  get description(): string {
    return this.#root;
  }

  async putAll(entries: readonly { key: string; data: Uint8Array }[]): Promise<void> {
    const dirs = new Set<string>();
    const staged: { temp: string; file: string }[] = [];
    try {
      for (const { key, data } of entries) {
        const file = this.#path(key);
        const dir = path.dirname(file);
        await this.#ensureDir(dir);
        const temp = tempSibling(file);
        staged.push({ temp, file });
        const handle = await open(temp, 'w', PRIVATE_FILE_MODE);
        try {
          await handle.writeFile(data);
          await handle.sync();
        } finally {
          await handle.close();
        }
        dirs.add(dir);
      }
      for (const { temp, file } of staged) await rename(temp, file);
    } catch (error) {
      await Promise.all(staged.map(({ temp }) => rm(temp, { force: true })));
      throw error;
    }
    // Async, so other backups in flight keep working while the disk flushes.
    await Promise.all([...dirs].map(fsyncDir));
  }

  async get(key: string): Promise<Buffer | undefined> {
    try {
      return await readFile(this.#path(key));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  }

  async list(prefix: string): Promise<StoredObject[]> {
    const base = this.#path(prefix.endsWith('/') ? prefix : path.posix.dirname(prefix));
    const objects: StoredObject[] = [];
    for await (const full of filesUnder(base)) {
      if (isTempFile(full)) continue;
      const key = path.relative(this.#root, full).split(path.sep).join('/');
      if (!key.startsWith(prefix)) continue;
      const info = await stat(full).catch(() => undefined);
      if (info) objects.push({ key, size: info.size, modifiedAt: info.mtimeMs });
    }
    return objects.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  async children(prefix: string): Promise<string[]> {
    try {
      const entries = await readdir(this.#path(prefix), { withFileTypes: true });
      return entries.filter((entry) => !isTempFile(entry.name)).map((entry) => entry.name).sort();
    } catch {
      return [];
    }
  }

  async delete(keys: readonly string[]): Promise<void> {
    const dirs = new Set<string>();
    for (const key of keys) {
      const file = this.#path(key);
      await rm(file, { force: true });
      dirs.add(path.dirname(file));
    }
    // Empty folders of a removed instance go too, so a purge leaves nothing behind.
    for (const dir of [...dirs].sort((a, b) => b.length - a.length)) await this.#removeEmpty(dir);
  }

  async sweepLeftovers(prefix: string): Promise<number> {
    let removed = 0;
    const now = Date.now();
    for await (const full of filesUnder(this.#path(prefix))) {
      if (!isTempFile(full)) continue;
      // Gone meanwhile: its writer renamed it into place.
      const info = await stat(full).catch(() => undefined);
      if (info && isAbandonedTemp(full, { modifiedAt: info.mtimeMs, now })) {
        await rm(full, { force: true });
        removed++;
      }
    }
    return removed;
  }

  /** Keys are built by us from ids and hashes; this refuses anything that could leave the root. */
  #path(key: string): string {
    const file = path.resolve(this.#root, ...key.split('/').filter(Boolean));
    if (file !== this.#root && !file.startsWith(`${this.#root}${path.sep}`)) throw new Error(`backup key outside the location: ${key}`);
    return file;
  }

  async #ensureDir(dir: string): Promise<void> {
    if (this.#knownDirs.has(dir)) return;
    // Once per folder (known after), so synchronously: makePrivateDir says why where Node's recursive mkdir would spin.
    makePrivateDir(dir);
    this.#knownDirs.add(dir);
  }

  async #removeEmpty(dir: string): Promise<void> {
    let current = dir;
    while (current.startsWith(`${this.#root}${path.sep}`)) {
      try {
        if ((await readdir(current)).length > 0) return;
        await rmdir(current);
      } catch {
        // Gone already, or something was written into it meanwhile: leave it.
        return;
      }
      this.#knownDirs.delete(current);
      current = path.dirname(current);
    }
  }
}

/** Every file below `dir`, depth first; a folder that cannot be read (or is gone) is skipped. */
async function* filesUnder(dir: string): AsyncGenerator<string> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const entry of entries) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) yield* filesUnder(full);
    else if (entry.isFile()) yield full;
  }
}

async function fsyncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
