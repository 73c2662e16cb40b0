import { SiloError, type Fleet, type InstanceHandle } from '@silo/fleet';
import { LocalEngine, RoutingEngine } from '@silo/fleet/internal';
import type { MetricsRefresher } from './metrics-refresher';
import type { RemoteStream, StreamHosts } from './stream-hosts';

/** Turso's limits (sqld): a transaction holds the write lock 5 s at most; 10 MB per result. */
export const TRANSACTION_TIMEOUT_MS = 5_000;
export const MAX_RESPONSE_BYTES = 10 * 1024 * 1024;

export interface StreamLimits {
  readonly transactionTimeoutMs: number;
  /** How long a statement waits, without blocking, for another writer's lock. */
  readonly busyTimeoutMs: number;
  readonly maxResponseBytes: number;
  /** How long one statement (or batch) may run; past it, it is stopped. */
  readonly statementTimeoutMs: number;
}

/**
 * Opens a Hrana stream on an instance the caller opened through the fleet (`fleet.open` made
 * the state and schema checks); the stream holds the handle's lease for as long as it lives,
 * so the handle cap counts it, and releases it when it ends. Each later request of the stream
 * checks the instance again (hrana-http.ts `takeStream`): a delete, purge or move ends it.
 * The stream's statements run on a connection of its own, as sqld gives each stream one (a
 * transaction spans requests and must not leak into the app's shared handle), in a host
 * process that can be killed at the time limit (stream-host.ts).
 */
export function openInstanceStream(
  fleet: Fleet,
  hosts: StreamHosts,
  handle: InstanceHandle,
  version: 2 | 3,
  readOnly: boolean,
  limits: StreamLimits,
  metrics: MetricsRefresher,
): RemoteStream {
  const { id, name, dbUrl } = handle.instance;
  return hosts.open({
    instanceId: id,
    file: localFileOf(fleet, dbUrl),
    readOnly,
    maxBytes: fleet.settings.instanceMaxBytes,
    options: { version, readOnly, transactionTimeoutMs: limits.transactionTimeoutMs, busyTimeoutMs: limits.busyTimeoutMs, maxResponseBytes: limits.maxResponseBytes },
    // A statement may first wait for the write lock, then run.
    timeoutMs: limits.statementTimeoutMs + limits.busyTimeoutMs,
    onCommit: () => metrics.changed(name),
    onClose: handle.release,
  });
}

function localFileOf(fleet: Fleet, dbUrl: string): string {
  // Under the routing engine (silo move under way), the rows still local are served here too.
  const engine = fleet.engine instanceof RoutingEngine ? fleet.engine.engineOfKind('local') : fleet.engine;
  if (engine instanceof LocalEngine) return engine.pathOf(dbUrl);
  throw new SiloError('ENGINE_FAILURE', `The libSQL endpoint has no engine for "${dbUrl.split(':')[0] ?? ''}" instances.`);
}
