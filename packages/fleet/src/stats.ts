import type { CycleReport } from './backups/backup-types';

/**
 * A process's running totals and current gauges of one fleet, for an app server's metrics
 * (@silo/web turns them into Prometheus series). Counters only grow while the fleet is open.
 * Nothing here names a tenant: the series stay bounded at any fleet size.
 */
export interface FleetStats {
  readonly handles: {
    /** Handles open now, and the cap (SILO_HANDLE_CAP). */
    readonly open: number;
    readonly cap: number;
    readonly hits: number;
    readonly misses: number;
    readonly evictions: number;
    /** Opens that had to wait for a handle to be released (every cached one was in use). */
    readonly waits: number;
  };
  /** Catalog lookups of an instance by name to serve it (`Fleet.open`). */
  readonly catalogLookups: number;
  /** Audited operations this process ran, by kind and outcome. */
  readonly operations: readonly { readonly kind: string; readonly ok: number; readonly error: number }[];
  /** Console and fleet queries whose process was killed at the time limit (all fleets of this process). */
  readonly queryPoolKills: number;
  /** Console and fleet queries whose process was ended at its memory limit (SILO_QUERY_MAX_MEMORY_BYTES). */
  readonly queryPoolMemoryKills: number;
  /** Instances by state and jurisdiction, from the catalog. */
  readonly instances: readonly { readonly state: string; readonly jurisdiction: string; readonly count: number }[];
  /** The backup scheduler as the catalog shows it (whichever process runs it). */
  readonly backups: {
    readonly enabled: boolean;
    readonly running: boolean;
    readonly lastCycle: CycleReport | null;
  };
}
