import path from 'node:path';
import { assemblePoint, corrupt, listPoints, type PointManifest, type PointRef } from './points';
import { checkIntegrity } from '../engines/check-process';
import type { BackupStore } from './store';
import { makePrivateDir } from '../permissions';
import { findingsSummary } from '../sqlite';

/** The check process's limits for a rebuilt point: the fleet's (SILO_QUERY_MAX_MEMORY_BYTES, SILO_CHECK_TIMEOUT_SEC), none for the catalog. */
export interface CheckLimits {
  readonly maxMemoryBytes: number | undefined;
  readonly timeoutSec?: number;
}

/**
 * Rebuilds a point into `staged`, refusing it unless every checksum and SQLite's integrity
 * check pass. The caller owns `staged` and removes it, whatever happens.
 */
export async function rebuildPoint(store: BackupStore, base: string, manifest: PointManifest, staged: string, limits: CheckLimits): Promise<void> {
  makePrivateDir(path.dirname(staged));
  await assemblePoint(store, base, manifest, staged);
  // In the check process: a large point takes seconds to check, and the scheduler's verification runs in a server.
  const problems = await checkIntegrity(staged, limits.maxMemoryBytes, limits.timeoutSec);
  if (problems.length > 0) throw corrupt(manifest.id, `SQLite's integrity check failed: ${findingsSummary(problems)}`);
}

/** The newest point taken at or before `at`: what "restore to that moment" uses. */
export async function pointAtOrBefore(store: BackupStore, base: string, at: number): Promise<PointRef | undefined> {
  return (await listPoints(store, base)).filter((point) => point.takenAt <= at).at(-1);
}
