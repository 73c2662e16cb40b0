import { readFileSync, readdirSync, renameSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { brotliCompressSync, gzipSync } from 'node:zlib';

/** Text files worth compressing; images and fonts are compressed already. */
const TEXT = new Set(['.js', '.mjs', '.css', '.svg', '.json', '.txt', '.map', '.html', '.xml', '.webmanifest']);
/** Below this, a compressed copy saves less than its headers cost. */
const MIN_BYTES = 1024;

/**
 * Writes `<file>.br` and `<file>.gz` beside each text file of a client build that lacks them
 * (or has older ones), so sirv can send them to clients that accept them: compression once per
 * build, not per request. Each is written to a temp name and renamed, so two servers starting
 * on one build never serve a half-written file. A build folder that cannot be written (a
 * read-only image) is served uncompressed: returns what went wrong instead of failing start-up.
 */
export function precompress(dir: string): string | undefined {
  let entries;
  try {
    entries = readdirSync(dir, { recursive: true, withFileTypes: true });
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ENOENT' ? undefined : String(error);
  }
  try {
    for (const entry of entries) {
      if (!entry.isFile() || !TEXT.has(path.extname(entry.name))) continue;
      const file = path.join(entry.parentPath, entry.name);
      const stats = statSync(file);
      if (stats.size < MIN_BYTES) continue;
      let content: Buffer | undefined;
      for (const [suffix, compress] of [
        ['.br', brotliCompressSync],
        ['.gz', gzipSync],
      ] as const) {
        const target = file + suffix;
        const existing = statSync(target, { throwIfNoEntry: false });
        if (existing && existing.mtimeMs >= stats.mtimeMs) continue;
        content ??= readFileSync(file);
        const temp = `${target}.${process.pid}.tmp`;
        writeFileSync(temp, compress(content));
        renameSync(temp, target);
      }
    }
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}
