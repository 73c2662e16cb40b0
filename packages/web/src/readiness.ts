/** What a readiness check reports (the fleet's `readiness()`): ready or not, and why. */
export interface ReadinessReport {
  readonly ready: boolean;
}

/**
 * The readiness probe both apps and `silo serve` answer at /readyz: 200 with any warnings (a
 * nearly full disk), 503 when the check says not ready or cannot run at all (the catalog cannot
 * be read). JSON, never cached, no sign-in (probes have none); the report carries no folder
 * paths. Its details (disk figures, the reasons, the backup scheduler) go to a client on this
 * machine only (`client`: the address the request came from, after trusted proxies): from
 * elsewhere, the status alone, which is all a load balancer reads, and nothing that tells an
 * attacker how close a disk is to full.
 */
export async function readinessResponse(check: () => Promise<ReadinessReport> | ReadinessReport, client: string): Promise<Response> {
  let body: ReadinessReport;
  try {
    body = await check();
  } catch (error) {
    const failed: ReadinessReport & Record<string, unknown> = { ready: false, catalog: error instanceof Error ? error.message : String(error), storage: [], warnings: [] };
    body = failed;
  }
  const status = body.ready ? 'ready' : 'not ready';
  return Response.json(isLoopbackAddress(client) ? { status, ...body } : { status, ready: body.ready }, { status: body.ready ? 200 : 503, headers: { 'Cache-Control': 'no-store' } });
}

/** 127.0.0.0/8 and ::1, also as a dual-stack listener writes them (`::ffff:127.0.0.1`). */
export function isLoopbackAddress(address: string): boolean {
  const v4 = address.startsWith('::ffff:') ? address.slice('::ffff:'.length) : address;
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(v4) || address === '::1' || address === '0:0:0:0:0:0:0:1';
}
