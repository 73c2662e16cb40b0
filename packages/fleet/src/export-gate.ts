import { rm } from 'node:fs/promises';

/**
 * Exports of one instance that may stage a copy at the same time in this process (Fleet.exportTo,
 * Fleet.exportStream). Each is a full copy of the database, in its region's staging folder until
 * its stream closes: unbounded, a read-scope token could fill the region's disk with copies of one
 * big instance (50 exports of 1 GiB, 50 GiB). Two let a second download start while a slow one
 * runs; more wait their turn, in order.
 */
export const EXPORTS_PER_INSTANCE = 2;

/** Removes an export's staged files; never throws (a file left behind is swept as a leftover). */
export async function removeStaged(files: readonly string[]): Promise<void> {
  await Promise.all(files.map((file) => rm(file, { force: true }).catch(() => undefined)));
}
