import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { PROCESS_TOKEN, tokenAlive } from '../processes';
import { PRIVATE_FILE_MODE, makePrivateDir } from '../permissions';

export interface ReplicaSlot {
  /** The replica's database file in this slot. */
  readonly file: string;
  release(): void;
}

/**
 * A replica folder of its own for this catalog connection. An embedded replica's files are
 * written by one process only, yet the apps and the CLI of one machine share a data folder:
 * each connection claims the first free `slot-<n>` (a lock file naming the owning process),
 * and a slot whose owner is gone is taken over, so its replica continues where it stopped.
 */
export function claimReplicaSlot(dir: string): ReplicaSlot {
  for (let n = 0; ; n++) {
    const slot = path.join(dir, `slot-${n}`);
    const lock = path.join(slot, 'owner');
    makePrivateDir(slot);
    if (!tryLock(lock)) continue;
    return {
      file: path.join(slot, 'catalog.db'),
      release: () => rmSync(lock, { force: true }),
    };
  }
}

function tryLock(lock: string): boolean {
  try {
    writeFileSync(lock, PROCESS_TOKEN, { flag: 'wx', mode: PRIVATE_FILE_MODE });
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  let owner: string;
  try {
    owner = readFileSync(lock, 'utf8').trim();
  } catch {
    return false; // Released or taken over just now: try the next slot.
  }
  if (owner === '' || tokenAlive(owner)) return false;
  // The owner died without releasing: take over, unless another process was quicker.
  rmSync(lock, { force: true });
  try {
    writeFileSync(lock, PROCESS_TOKEN, { flag: 'wx', mode: PRIVATE_FILE_MODE });
    return true;
  } catch {
    return false;
  }
}
