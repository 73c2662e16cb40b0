/** What a readiness check reports (the fleet's `readiness()`): ready or not, and why. */
export interface ReadinessReport {
  readonly ready: boolean;
}

/**
 * The readiness probe both apps serve at /readyz: 200 with any warnings (a nearly full disk),
 * 503 when the check says not ready or cannot run at all (the catalog cannot be read). JSON,
 * never cached, no sign-in (probes have none); the report carries no folder paths.
 */
export async function readinessResponse(check: () => Promise<ReadinessReport> | ReadinessReport): Promise<Response> {
  let body: ReadinessReport;
  try {
    body = await check();
  } catch (error) {
    const failed: ReadinessReport & Record<string, unknown> = { ready: false, catalog: error instanceof Error ? error.message : String(error), storage: [], warnings: [] };
    body = failed;
  }
  return Response.json({ status: body.ready ? 'ready' : 'not ready', ...body }, { status: body.ready ? 200 : 503, headers: { 'Cache-Control': 'no-store' } });
}
