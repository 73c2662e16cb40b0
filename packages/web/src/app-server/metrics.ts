import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * What the metrics read from the fleet at each scrape: the shape of `Fleet.stats()` in
 * @silo/fleet (structural, so @silo/web does not depend on the fleet).
 */
export interface FleetStatsSnapshot {
  readonly handles: { readonly open: number; readonly cap: number; readonly hits: number; readonly misses: number; readonly evictions: number; readonly waits: number };
  readonly catalogLookups: number;
  readonly operations: readonly { readonly kind: string; readonly ok: number; readonly error: number }[];
  readonly queryPoolKills: number;
  readonly queryPoolMemoryKills: number;
  readonly instances: readonly { readonly state: string; readonly jurisdiction: string; readonly count: number }[];
  readonly backups: { readonly enabled: boolean; readonly running: boolean; readonly lastCycle: { readonly at: number; readonly durationMs: number } | null };
}

/** A finished backup cycle as the scheduler reports it to the process that ran it. */
export interface BackupCycleSample {
  readonly durationMs: number;
  readonly failed: number;
  readonly catalogError?: string | undefined;
}

export interface AppMetrics {
  readonly registry: Registry;
  /** One finished request: `route` is a route pattern (bounded), never a URL. */
  observeRequest(route: string, method: string, status: number, seconds: number): void;
  observeBackupCycle(cycle: BackupCycleSample): void;
  /** The exposition text; reads the fleet once. */
  scrape(): Promise<string>;
}

const PROM_CLIENT_TOTAL_GAUGES = ['silo_nodejs_active_handles_total', 'silo_nodejs_active_requests_total', 'silo_nodejs_active_resources_total'];

/** Methods outside this list are counted as `other`, so a client cannot invent label values. */
const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

/**
 * The Prometheus metrics of an app server (prom-client, a registry of its own): requests by
 * route pattern, the process (CPU, memory, event-loop delay) and the fleet read from
 * `stats()` at scrape time. No label names a tenant, so the series stay bounded at 100,000 of them.
 */
export function createAppMetrics(stats: () => Promise<FleetStatsSnapshot> | FleetStatsSnapshot): AppMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'silo_' });
  // prom-client adds these three as gauges named like counters, which `promtool check metrics`
  // refuses ("non-counter metrics should not have _total suffix"). Each is the sum of the
  // by-type gauge of the same name without `_total`, so nothing is lost.
  for (const name of PROM_CLIENT_TOTAL_GAUGES) registry.removeSingleMetric(name);
  let snapshot: FleetStatsSnapshot | undefined;
  const registers = [registry];

  const requests = new Histogram({
    name: 'silo_http_request_duration_seconds',
    help: 'HTTP requests by route pattern, method and status: latency, and with _count the rate.',
    labelNames: ['route', 'method', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers,
  });

  // Each reads the snapshot `scrape` took: one `stats()` per scrape, however many series.
  const addGauge = (name: string, help: string, pick: (s: FleetStatsSnapshot) => number) =>
    new Gauge({
      name,
      help,
      registers,
      collect(this: Gauge) {
        if (snapshot) this.set(pick(snapshot));
      },
    });
  const addCounter = (name: string, help: string, pick: (s: FleetStatsSnapshot) => number) =>
    new Counter({
      name,
      help,
      registers,
      collect(this: Counter) {
        if (!snapshot) return;
        this.reset();
        this.inc(pick(snapshot));
      },
    });

  addGauge('silo_handle_cache_open', 'Tenant database handles open now.', (s) => s.handles.open);
  addGauge('silo_handle_cache_capacity', 'The handle cap (SILO_HANDLE_CAP).', (s) => s.handles.cap);
  addCounter('silo_handle_cache_hits_total', 'Opens served by a cached handle.', (s) => s.handles.hits);
  addCounter('silo_handle_cache_misses_total', 'Opens that opened a new handle.', (s) => s.handles.misses);
  addCounter('silo_handle_cache_evictions_total', 'Idle handles closed to make room.', (s) => s.handles.evictions);
  addCounter('silo_handle_cache_waits_total', 'Opens that waited because every handle was in use.', (s) => s.handles.waits);
  addCounter('silo_catalog_lookups_total', 'Catalog lookups of an instance to serve it.', (s) => s.catalogLookups);
  addCounter('silo_query_pool_kills_total', 'Queries whose process was killed at the time limit.', (s) => s.queryPoolKills);
  addCounter('silo_query_pool_memory_kills_total', 'Queries whose process was ended at its memory limit.', (s) => s.queryPoolMemoryKills);
  addGauge('silo_backups_enabled', '1 when backups are on (SILO_BACKUPS), so a scheduler is expected to run.', (s) => (s.backups.enabled ? 1 : 0));
  addGauge('silo_backup_scheduler_running', '1 when a live process holds the backup scheduler lease.', (s) => (s.backups.running ? 1 : 0));
  addGauge('silo_backup_lag_seconds', 'Seconds since the last backup cycle finished (NaN: none recorded).', (s) =>
    s.backups.lastCycle ? Math.max(0, (Date.now() - s.backups.lastCycle.at - s.backups.lastCycle.durationMs) / 1000) : Number.NaN,
  );

  const operations = new Counter({
    name: 'silo_fleet_operations_total',
    help: 'Audited fleet operations run by this process, by kind and outcome.',
    labelNames: ['kind', 'outcome'] as const,
    registers,
    collect() {
      if (!snapshot) return;
      operations.reset();
      for (const op of snapshot.operations) {
        operations.inc({ kind: op.kind, outcome: 'ok' }, op.ok);
        operations.inc({ kind: op.kind, outcome: 'error' }, op.error);
      }
    },
  });
  const instances = new Gauge({
    name: 'silo_instances',
    help: 'Instances by state and jurisdiction.',
    labelNames: ['state', 'jurisdiction'] as const,
    registers,
    collect() {
      if (!snapshot) return;
      instances.reset();
      for (const row of snapshot.instances) instances.set({ state: row.state, jurisdiction: row.jurisdiction }, row.count);
    },
  });

  const cycles = new Histogram({
    name: 'silo_backup_cycle_duration_seconds',
    help: 'Backup cycles run by this process.',
    buckets: [0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600],
    registers,
  });
  const cycleFailures = new Counter({
    name: 'silo_backup_failures_total',
    help: 'Instance backups (and catalog backups) that failed in this process.',
    labelNames: ['what'] as const,
    registers,
  });

  return {
    registry,
    observeRequest(route, method, status, seconds) {
      requests.observe({ route, method: METHODS.has(method) ? method : 'other', status: String(status) }, seconds);
    },
    observeBackupCycle(cycle) {
      cycles.observe(cycle.durationMs / 1000);
      if (cycle.failed > 0) cycleFailures.inc({ what: 'instance' }, cycle.failed);
      if (cycle.catalogError) cycleFailures.inc({ what: 'catalog' });
    },
    async scrape() {
      snapshot = await stats();
      try {
        return await registry.metrics();
      } finally {
        snapshot = undefined;
      }
    },
  };
}
