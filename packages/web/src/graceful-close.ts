import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { Server as NetServer } from 'node:net';

/**
 * The requests a server is answering, so that stopping it can wait for them: the apps'
 * servers and `silo serve` count theirs here and close with `closeGracefully`.
 */
export class RequestsInFlight {
  #count = 0;
  #closing = false;
  #drained: (() => void) | undefined;

  /** Counts `res` until it closes (answered, or cut); once closing, its connection is not kept alive: the client reconnects elsewhere. */
  track(res: ServerResponse): void {
    this.#count++;
    if (this.#closing) res.setHeader('Connection', 'close');
    res.once('close', () => {
      this.#count--;
      if (this.#count === 0) this.#drained?.();
    });
  }

  get count(): number {
    return this.#count;
  }

  /** The server has begun to stop: its readiness probe says so (`answerReadinessWhileClosing`). */
  get closing(): boolean {
    return this.#closing;
  }

  /** From now on every answer asks its client to close the connection. */
  beginClosing(): void {
    this.#closing = true;
  }

  /** Resolves once no request is in flight (each one's response has closed). */
  finished(): Promise<void> {
    return this.#count === 0 ? Promise.resolve() : new Promise<void>((resolve) => (this.#drained = resolve));
  }
}

export interface GracefulCloseOptions {
  /**
   * How long the server goes on accepting and answering as usual, its readiness probe failing,
   * before it stops accepting: the time a load balancer needs to see the probe fail and send
   * new work elsewhere. 0 (the default) stops accepting at once.
   */
  readonly drainMs?: number;
  /** How long requests in flight may take to finish (after the drain) before their connections are cut. */
  readonly deadlineMs: number;
  /** Told how many requests the deadline cut, before they are. */
  readonly onDeadline?: (inFlight: number) => void;
}

/**
 * How long, after closing began, kept-alive connections may bring one more request (answered
 * with Connection: close) before the idle ones are closed.
 */
const IDLE_GRACE_MS = 1_000;

/**
 * Stops `server` the way a deploy needs: no new connections, every request in flight answered
 * (until the deadline, when what is left is cut), kept-alive connections closed once idle.
 * Resolves when the server is closed; its requests' work is over unless the deadline cut them.
 */
export async function closeGracefully(server: Server, inFlight: RequestsInFlight, options: GracefulCloseOptions): Promise<{ cut: number }> {
  inFlight.beginClosing();
  if (options.drainMs) await pause(options.drainMs);
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<'deadline'>((resolve) => (timer = setTimeout(() => resolve('deadline'), options.deadlineMs)));
  // Stop accepting, and only that: http's own close() also closes every kept-alive connection
  // that is idle at this instant, resetting a request its client has just sent on it (not read
  // here yet). Such requests arrive within the grace and are answered with Connection: close,
  // so their clients leave; what is still idle after it is closed.
  const closed = new Promise<void>((resolve) => NetServer.prototype.close.call(server, () => resolve()));
  if ((await openConnections(server)) > 0) await Promise.race([pause(Math.min(IDLE_GRACE_MS, options.deadlineMs)), deadline]);
  server.closeIdleConnections();
  let cut = 0;
  if ((await Promise.race([inFlight.finished(), deadline])) === 'deadline') {
    cut = inFlight.count;
    options.onDeadline?.(cut);
    server.closeAllConnections();
    await Promise.race([inFlight.finished(), pause(1_000)]);
  }
  clearTimeout(timer);
  server.closeIdleConnections();
  await Promise.race([closed, pause(1_000)]);
  return { cut };
}

/**
 * Once the server is closing, its readiness probe answers 503 at once, before any route or
 * check runs: a load balancer still polling it stops sending new work, while the requests it
 * already sent are answered. True when it answered `req`.
 */
export function answerReadinessWhileClosing(inFlight: RequestsInFlight, req: IncomingMessage, res: ServerResponse, readinessPath = '/readyz'): boolean {
  if (!inFlight.closing || (req.url ?? '').split('?')[0] !== readinessPath) return false;
  const body = JSON.stringify({ status: 'stopping', ready: false });
  res.writeHead(503, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body), 'Cache-Control': 'no-store' });
  res.end(req.method === 'HEAD' ? undefined : body);
  return true;
}

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

function openConnections(server: Server): Promise<number> {
  return new Promise((resolve) => server.getConnections((error, count) => resolve(error ? 0 : count)));
}
