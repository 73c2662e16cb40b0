import type { Catalog, TouchUpdate } from './catalog/catalog';
import type { Engine, TenantConnection } from './engine';
import type { HandleCache } from './handle-cache';
import type { TenantSchema } from './schema';

export interface WriteActivityParts {
  readonly catalog: Catalog;
  readonly engine: Engine;
  readonly schema: TenantSchema;
  readonly handles: HandleCache<string, TenantConnection>;
}

export interface RecordWritesOptions {
  /** False: usage only, not the tenant's activity (a fleet-wide migration); last active stays. */
  readonly active?: boolean;
  /** Writes to count for each instance (default 1): the libSQL endpoint counts commits between refreshes. */
  readonly writes?: number;
}

/** Catalog writes are grouped, as a migration's schema versions are. */
const BATCH = 250;

/**
 * After a write that did not come from the app (the console, `silo query --write`, the libSQL
 * endpoint, import, restore, undo, clone, migrate): the app's metrics are read again with the
 * schema's `metricsSql`, and the write is recorded as activity, size and a write of the day,
 * in the same catalog writes the touch buffer uses. Best effort: the numbers are informational,
 * and an operation that succeeded must not fail on them.
 */
export async function recordWrites(parts: WriteActivityParts, names: Iterable<string>, options: RecordWritesOptions = {}): Promise<void> {
  let updates: TouchUpdate[] = [];
  const flush = async (): Promise<void> => {
    const batch = updates;
    updates = [];
    await parts.catalog.applyTouches(batch).catch(() => undefined);
  };
  for (const name of names) {
    const update = await afterWrite(parts, name, options);
    if (update) updates.push(update);
    if (updates.length >= BATCH) await flush();
  }
  await flush();
}

async function afterWrite(parts: WriteActivityParts, name: string, options: RecordWritesOptions): Promise<TouchUpdate | undefined> {
  const { catalog, engine, schema, handles } = parts;
  try {
    const instance = catalog.resolve(name);
    if (instance?.state !== 'ready') return undefined;
    const update: TouchUpdate = { name, at: Date.now(), writes: options.writes ?? 1, sizeBytes: await engine.sizeOf(instance.dbUrl), active: options.active ?? true };
    // Only what the fleet would serve (Fleet.open's rule): an instance at the latest schema.
    const sql = schema.metricsSql;
    if (!sql || instance.schemaVersion < schema.latestVersion) return update;
    const lease = await handles.acquire(instance.id, () => engine.connect(instance.dbUrl), instance.dbUrl);
    try {
      const row = (await lease.value.execute(sql)).rows[0];
      update.metrics = Object.fromEntries(Object.entries(row ?? {}).map(([key, value]) => [key, Number(value ?? 0)]));
    } catch {
      // The activity still counts; the app's next write reports its metrics anyway.
    } finally {
      lease.release();
    }
    return update;
  } catch {
    return undefined;
  }
}
