import { SiloError, type Fleet } from '@silo/fleet';
import { LocalEngine, RoutingEngine } from '@silo/fleet/internal';
import type { InstanceTokenClaims } from '../instance-tokens';
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

export class InstanceMismatch extends Error {}

/**
 * Opens a Hrana stream on an instance through the fleet: `fleet.open` makes the state and
 * schema checks and leases the instance's handle-cache entry for as long as the stream lives
 * (so the cap counts it and a purge or move waits for it). The stream's statements run on a
 * connection of its own, as sqld gives each stream one (a transaction spans requests and must
 * not leak into the app's shared handle), in a host process that can be killed at the time
 * limit (stream-host.ts).
 */
export async function openInstanceStream(
  fleet: Fleet,
  hosts: StreamHosts,
  claims: InstanceTokenClaims,
  version: 2 | 3,
  limits: StreamLimits,
  metrics: MetricsRefresher,
): Promise<RemoteStream> {
  const handle = await fleet.open(claims.instance);
  try {
    // A purged and re-created instance of the same name is another database.
    if (handle.instance.id !== claims.id) throw new InstanceMismatch();
    const readOnly = claims.access === 'read-only';
    const name = handle.instance.name;
    return hosts.open({
      instanceId: handle.instance.id,
      file: localFileOf(fleet, handle.instance.dbUrl),
      readOnly,
      maxBytes: fleet.settings.instanceMaxBytes,
      options: { version, readOnly, transactionTimeoutMs: limits.transactionTimeoutMs, busyTimeoutMs: limits.busyTimeoutMs, maxResponseBytes: limits.maxResponseBytes },
      // A statement may first wait for the write lock, then run.
      timeoutMs: limits.statementTimeoutMs + limits.busyTimeoutMs,
      onCommit: () => metrics.changed(name),
      onClose: handle.release,
    });
  } catch (error) {
    handle.release();
    throw error;
  }
}

function localFileOf(fleet: Fleet, dbUrl: string): string {
  // Under the routing engine (silo move under way), the rows still local are served here too.
  const engine = fleet.engine instanceof RoutingEngine ? fleet.engine.engineOfKind('local') : fleet.engine;
  if (engine instanceof LocalEngine) return engine.pathOf(dbUrl);
  throw new SiloError('ENGINE_FAILURE', `The libSQL endpoint has no engine for "${dbUrl.split(':')[0] ?? ''}" instances.`);
}
