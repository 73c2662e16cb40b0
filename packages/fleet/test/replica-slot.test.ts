/**
 * Replica slots (the catalog on Turso) shared by processes of several hosts or containers on
 * one data folder: a slot is taken over only when its owner is known gone, and a live owner of
 * another host, whose pid means nothing here, keeps its slot while it touches the lock.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SLOT_STALE_MS, claimReplicaSlot } from '../src/catalog/replica-slot';
import { PROCESS_OWNER, PROCESS_TOKEN } from '../src/processes';

const [HOST, BOOT] = PROCESS_OWNER.split('/') as [string, string];
/** A pid that runs here (this one) with another start time: what another container's pid 1 looks like from here. */
const LIVE_PID_OTHER_START = `${process.pid}.1`;

describe('claimReplicaSlot', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'silo-replica-slot-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  /** slot-0 held by `owner`, its lock last touched `ageMs` ago. */
  function heldBy(owner: string, ageMs = 0): string {
    const lock = path.join(dir, 'slot-0', 'owner');
    mkdirSync(path.dirname(lock), { recursive: true });
    writeFileSync(lock, owner);
    const at = new Date(Date.now() - ageMs);
    utimesSync(lock, at, at);
    return lock;
  }

  it('names host, boot and process in the lock it writes, and releases it', () => {
    const slot = claimReplicaSlot(dir);
    expect(slot.file).toBe(path.join(dir, 'slot-0', 'catalog.db'));
    expect(readFileSync(path.join(dir, 'slot-0', 'owner'), 'utf8')).toBe(PROCESS_OWNER);
    expect(claimReplicaSlot(dir).file).toBe(path.join(dir, 'slot-1', 'catalog.db'));
    slot.release();
    expect(claimReplicaSlot(dir).file).toBe(path.join(dir, 'slot-0', 'catalog.db'));
  });

  it("leaves another host's slot to it while its lock is touched, though its pid runs here with another start time", () => {
    heldBy(`other-container/some-boot/${LIVE_PID_OTHER_START}`, SLOT_STALE_MS / 2);
    expect(claimReplicaSlot(dir).file).toBe(path.join(dir, 'slot-1', 'catalog.db'));
  });

  it("takes over another host's slot once its lock has gone untouched past SLOT_STALE_MS", () => {
    const lock = heldBy(`other-container/some-boot/${LIVE_PID_OTHER_START}`, SLOT_STALE_MS + 60_000);
    expect(claimReplicaSlot(dir).file).toBe(path.join(dir, 'slot-0', 'catalog.db'));
    expect(readFileSync(lock, 'utf8')).toBe(PROCESS_OWNER);
  });

  it('takes over at once a slot of a dead process of this host, or of an earlier boot of it', () => {
    heldBy(`${HOST}/${BOOT}/999999999.1`);
    expect(claimReplicaSlot(dir).file).toBe(path.join(dir, 'slot-0', 'catalog.db'));
    rmSync(path.join(dir, 'slot-0'), { recursive: true });
    heldBy(`${HOST}/an-earlier-boot/${PROCESS_TOKEN}`);
    expect(claimReplicaSlot(dir).file).toBe(path.join(dir, 'slot-0', 'catalog.db'));
  });

  it('judges a lock written before locks named their host by its process token, as then', () => {
    heldBy('999999999.1');
    expect(claimReplicaSlot(dir).file).toBe(path.join(dir, 'slot-0', 'catalog.db'));
    rmSync(path.join(dir, 'slot-0'), { recursive: true });
    heldBy(PROCESS_TOKEN);
    expect(claimReplicaSlot(dir).file).toBe(path.join(dir, 'slot-1', 'catalog.db'));
  });

  it("stays off a slot whose take-over another process has under way, and clears a take-over its taker left behind", () => {
    const lock = heldBy(`other-container/some-boot/${LIVE_PID_OTHER_START}`, SLOT_STALE_MS + 60_000);
    const takeover = path.join(dir, 'slot-0', 'takeover');
    writeFileSync(takeover, 'another-container/its-boot/1.123');
    expect(claimReplicaSlot(dir).file).toBe(path.join(dir, 'slot-1', 'catalog.db'));
    expect(readFileSync(lock, 'utf8')).toBe(`other-container/some-boot/${LIVE_PID_OTHER_START}`);
    // Left by a taker that died in its few steps: as old as an abandoned lock, it is cleared.
    const old = new Date(Date.now() - SLOT_STALE_MS - 60_000);
    utimesSync(takeover, old, old);
    expect(claimReplicaSlot(dir).file).toBe(path.join(dir, 'slot-0', 'catalog.db'));
    expect(readFileSync(lock, 'utf8')).toBe(PROCESS_OWNER);
    expect(existsSync(takeover)).toBe(false);
  });

  it('once its slot was taken over (its owner paused too long), neither touches nor releases the new owner\'s lock', async () => {
    const slot = claimReplicaSlot(dir);
    const lock = path.join(dir, 'slot-0', 'owner');
    const successor = `other-container/some-boot/${LIVE_PID_OTHER_START}`;
    writeFileSync(lock, successor);
    const old = new Date(Date.now() - 60_000);
    utimesSync(lock, old, old);
    const warnings: string[] = [];
    const onWarning = (warning: Error): void => void warnings.push(warning.message);
    process.on('warning', onWarning);
    try {
      slot.touch();
      slot.touch();
      await new Promise((resolve) => setImmediate(resolve)); // warnings are emitted on the next tick
    } finally {
      process.off('warning', onWarning);
    }
    // Still a minute old: not refreshed (mtimeMs is a float of nanoseconds, so no exact compare).
    expect(Date.now() - statSync(lock).mtimeMs).toBeGreaterThan(30_000);
    expect(warnings.filter((message) => message.includes('was taken over'))).toHaveLength(1);
    slot.release();
    expect(readFileSync(lock, 'utf8')).toBe(successor);
  });

  it('touch() moves the lock forward, so the slot does not look abandoned', () => {
    const slot = claimReplicaSlot(dir);
    const lock = path.join(dir, 'slot-0', 'owner');
    const old = new Date(Date.now() - SLOT_STALE_MS * 2);
    utimesSync(lock, old, old);
    slot.touch();
    expect(Date.now() - statSync(lock).mtimeMs).toBeLessThan(SLOT_STALE_MS);
  });
});
