/**
 * Clones, exports and backup points of an instance that other processes write to without
 * pause (issue #21, item 4). Each copy must finish while the writes go on (the old method
 * waited for a moment with an empty WAL, which continuous writers never give, then fell back
 * to the backup API, which restarts on every write), no write may fail because of a copy, and
 * every copy must be sound and hold a prefix of each writer's writes.
 */
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import type { Fleet } from '../src/index';
import { startWriters } from './fixtures/writers';
import { fileOf, tempDir, tempFleet } from './helpers';

const WRITERS = 2;
/** Generous: a copy of this database takes milliseconds; this only tells "stuck" from "done". */
const COMPLETION_BOUND_MS = 30_000;

/** Resolves to the work's result, or rejects if it has not completed within the bound. */
async function completes<T>(what: string, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const stuck = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not complete while the writers kept writing`)), COMPLETION_BOUND_MS);
  });
  try {
    return await Promise.race([work, stuck]);
  } finally {
    clearTimeout(timer);
  }
}

/** Integrity problems of a database file, and each writer's sequence numbers in it. */
function inspect(file: string): { problems: string[]; seqs: Map<string, number[]> } {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const problems = db.pragma('integrity_check', { simple: false }) as { integrity_check: string }[];
    const rows = db.prepare<[], { tag: string; body: string }>(`SELECT tag, body FROM notes WHERE tag LIKE 'w%'`).all();
    const seqs = new Map<string, number[]>();
    for (const row of rows) {
      const seq = Number(/^w\d+-(\d+) /.exec(row.body)?.[1]);
      const list = seqs.get(row.tag) ?? [];
      list.push(seq);
      seqs.set(row.tag, list);
    }
    return { problems: problems.map((p) => p.integrity_check).filter((p) => p !== 'ok'), seqs };
  } finally {
    db.close();
  }
}

/** Every writer's rows in the copy are 1..k for some k: commits are never torn or reordered. */
function expectPrefixes(label: string, seqs: Map<string, number[]>): void {
  for (const [tag, values] of seqs) {
    const distinct = new Set(values);
    const highest = values.reduce((a, b) => Math.max(a, b), 0);
    // k rows, all different, none above k and none below 1: exactly 1..k.
    expect({ rows: values.length, distinct: distinct.size, lowest: values.reduce((a, b) => Math.min(a, b), Infinity) }, `${label}: ${tag} holds a prefix of its writes`).toEqual({
      rows: highest,
      distinct: highest,
      lowest: 1,
    });
  }
}

async function seed(fleet: Fleet, name: string, megabytes: number): Promise<void> {
  await fleet.create(name, { jurisdiction: 'eu' });
  const rows = Math.ceil((megabytes * 1024 * 1024) / 1_100);
  await fleet.withInstance(name, async (db) => {
    for (let done = 0; done < rows; done += 1_000) {
      await db.batch(Array.from({ length: Math.min(1_000, rows - done) }, (_, i) => ({ sql: 'INSERT INTO notes (body) VALUES (?)', args: [`${'x'.repeat(1_000)} ${done + i}`] })));
    }
  });
}

describe('copies of an instance under continuous writes from other processes', () => {
  it('every clone, export and backup point completes, no write fails, and each copy is sound with a prefix of every writer’s writes', async () => {
    const { fleet, dataDir } = await tempFleet();
    await seed(fleet, 'busy', 4);
    const source = fileOf(fleet.require('busy').dbUrl, dataDir);
    const exportsDir = tempDir();

    // Busy app servers: writers with a millisecond between writes, and a process with a read
    // transaction open longer than busy_timeout (a slow report, a streamed export), so the WAL
    // can neither be emptied nor restarted while the copies are taken.
    const reader = await startWriters(source, 1, { pauseMs: 15_000, role: 'reader' });
    const writers = await startWriters(source, WRITERS, { padBytes: 100, pauseMs: 1 });
    const copies: { label: string; file: string }[] = [];
    let summaries;
    try {
      for (let round = 0; round < 4; round++) {
        const clone = await completes(`clone ${round}`, fleet.clone('busy', `busy-clone-${round}`));
        copies.push({ label: `clone ${round}`, file: fileOf(clone.dbUrl, dataDir) });
        const exported = path.join(exportsDir, `export-${round}.db`);
        await completes(`export ${round}`, fleet.exportTo('busy', exported));
        copies.push({ label: `export ${round}`, file: exported });
        await completes(`backup ${round}`, fleet.backups.now('busy'));
      }
    } finally {
      summaries = await writers.stop();
      await reader.stop();
    }

    for (const summary of summaries) {
      expect(summary.errors, `writer ${summary.writer}`).toEqual([]);
      expect(summary.failures).toBe(0);
      expect(summary.writes).toBeGreaterThan(0);
    }
    // The last backup point, restored as a new instance, is a copy like the others.
    const restored = await fleet.backups.restore('busy', { at: Date.now(), as: 'busy-restored' });
    copies.push({ label: 'backup point', file: fileOf(restored.instance.dbUrl, dataDir) });

    let sawWrites = false;
    for (const { label, file } of copies) {
      const { problems, seqs } = inspect(file);
      expect(problems, label).toEqual([]);
      expectPrefixes(label, seqs);
      if (seqs.size > 0) sawWrites = true;
    }
    // The copies were taken while the writers were writing, not before they began.
    expect(sawWrites).toBe(true);
    expect((await fleet.backups.verify({ instances: ['busy'] })).failed).toBe(0);
  });
});
