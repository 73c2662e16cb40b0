import { unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { ReadinessReport } from '../readiness';

/** `/healthz`: the process is alive and its event loop turns. Nothing else is looked at. */
export function healthResponse(): Response {
  return Response.json({ status: 'ok' }, { headers: { 'Cache-Control': 'no-store' } });
}

/** What the readiness check needs of a fleet (structural: @silo/web does not depend on @silo/fleet). */
export interface ReadinessFleet {
  readiness(): ReadinessReport & { readonly warnings: readonly string[] };
  engineReachability(): Promise<string>;
  readonly settings: { readonly dataDir: string; readonly regions: readonly { readonly id: string; readonly dataDir: string }[] };
  readonly backups: { schedulerState(): { readonly running: boolean; readonly lastCycle: { readonly at: number; readonly durationMs: number } | null } };
}

/**
 * The fleet's readiness (the catalog is readable, no data disk is full, the engine's service
 * answers) plus what only a write shows: the data folder and each region's folder take a file
 * (a read-only mount, a file where a folder should be). With `backups`, the scheduler's lag is reported too (the admin);
 * a lag is information, not unreadiness — one slow cycle must not take the console out of a
 * load balancer. No paths: probes are unauthenticated.
 */
export async function fleetReadiness(fleet: ReadinessFleet, options: { backups?: boolean } = {}): Promise<ReadinessReport & Record<string, unknown>> {
  const report = fleet.readiness();
  const engine = await fleet.engineReachability();
  const folders = [{ label: 'data folder', dir: fleet.settings.dataDir }, ...fleet.settings.regions.map((region) => ({ label: `region ${region.id}`, dir: region.dataDir }))];
  const unwritable = folders.flatMap(({ label, dir }) => {
    const problem = writeProblem(dir);
    return problem ? [`${label}: not writable (${problem})`] : [];
  });
  const result: ReadinessReport & Record<string, unknown> = { ...report, ready: report.ready && unwritable.length === 0 && engine === 'ok', writable: unwritable.length === 0 ? 'ok' : unwritable, engine };
  if (options.backups) {
    const { running, lastCycle } = fleet.backups.schedulerState();
    result['backups'] = { running, lagSeconds: lastCycle ? Math.max(0, Math.round((Date.now() - lastCycle.at - lastCycle.durationMs) / 1000)) : null };
  }
  return result;
}

/**
 * Why a small file cannot be written and removed in `dir` (an error code), or undefined. A
 * folder not made yet (a region's, before its first instance) is judged by the nearest one
 * that exists, where it would be made.
 */
function writeProblem(dir: string): string | undefined {
  const probe = path.join(dir, `.silo-ready-${process.pid}`);
  try {
    writeFileSync(probe, '');
    unlinkSync(probe);
    return undefined;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    const parent = path.dirname(dir);
    return code === 'ENOENT' && parent !== dir ? writeProblem(parent) : code;
  }
}
