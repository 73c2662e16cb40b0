import type { Fleet } from '@silo/fleet';
import { MOMENT_FORMATS, parseMoment } from '@silo/fleet/format';

export type CloneOutcome = { error: string } | { name: string; asOf?: string; point?: string };

/** A clone "as of" a moment without a name gets one that says which: acme-20261127-1504. */
function nameAsOf(source: string, at: number): string {
  const stamp = new Date(at).toISOString().slice(0, 16).replace(/[-:]/g, '').replace('T', '-');
  return `${source.slice(0, 63 - stamp.length - 1).replace(/-+$/, '')}-${stamp}`;
}

/**
 * The Clone form. Without "as of" a clone of the instance as it is now. With it, a
 * point-in-time clone, which is the same operation as "restore as a new instance": an engine
 * that keeps history (Turso) branches at that moment (`fleet.clone` with `at`); otherwise the
 * newest backup point at or before it is restored as the new instance (`backups.restore`).
 */
export async function cloneInstance(fleet: Fleet, source: string, input: { newName: string; region: string; asOf: string }, actor: string): Promise<CloneOutcome> {
  const region = input.region ? { region: input.region } : {};
  if (!input.asOf) {
    const clone = await fleet.clone(source, input.newName || undefined, { actor, ...region });
    return { name: clone.name };
  }
  const at = parseMoment(input.asOf);
  if (!Number.isFinite(at)) return { error: `"${input.asOf}" is not a moment: use ${MOMENT_FORMATS}.` };
  if (at > Date.now()) return { error: `${new Date(at).toISOString()} (UTC) is in the future: a clone "as of" needs a past moment.` };
  const name = input.newName || nameAsOf(source, at);
  const asOf = new Date(at).toISOString();
  if (fleet.engine.capabilities.pointInTime) {
    const clone = await fleet.clone(source, name, { actor, at: new Date(at), ...region });
    return { name: clone.name, asOf };
  }
  const restored = await fleet.backups.restore(source, { at, as: name, actor, ...region });
  return { name: restored.instance.name, asOf, point: new Date(restored.point.takenAt).toISOString() };
}
