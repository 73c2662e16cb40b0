import type { Engine } from './engine';
import { errorMessage } from './errors';

/** A probe that has not answered in this long counts as unreachable: load balancers probe every few seconds. */
const TIMEOUT_MS = 5_000;
/**
 * How long an answer stands. Probes come every few seconds from every load balancer, and the
 * Platform API counts them against the organisation's rate limit; an outage still shows
 * within this long.
 */
const FRESH_MS = 10_000;

/**
 * Whether the fleet's engine answers (`ok`, or why not), for /readyz. At most one check runs
 * at a time and its answer is reused for a few seconds; an engine with nothing to reach
 * (local files) is always `ok`. Probes are unauthenticated, so the answer names no group,
 * organisation or address: the service's own error goes to the log (a process warning, once
 * each time it changes).
 */
export class EngineReachability {
  #last: { at: number; answer: string; detail: string | undefined } | undefined;
  #running: Promise<string> | undefined;

  constructor(private readonly engine: Engine) {}

  check(now = Date.now()): Promise<string> {
    if (this.engine.checkReachable === undefined) return Promise.resolve('ok');
    if (this.#last !== undefined && now - this.#last.at < FRESH_MS) return Promise.resolve(this.#last.answer);
    this.#running ??= this.#probe(this.engine.checkReachable.bind(this.engine)).then((answer) => {
      if (answer.detail !== this.#last?.detail && answer.detail !== undefined) process.emitWarning(answer.detail, { code: 'SILO_ENGINE_UNREACHABLE' });
      this.#last = { at: Date.now(), ...answer };
      this.#running = undefined;
      return answer.answer;
    });
    return this.#running;
  }

  async #probe(checkReachable: () => Promise<void>): Promise<{ answer: string; detail: string | undefined }> {
    const { kind } = this.engine;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<{ answer: string; detail: string }>((resolve) => {
      timer = setTimeout(() => {
        const answer = `the ${kind} engine did not answer within ${TIMEOUT_MS / 1000} s`;
        resolve({ answer, detail: answer });
      }, TIMEOUT_MS);
    });
    try {
      return await Promise.race([
        checkReachable().then(
          () => ({ answer: 'ok', detail: undefined }),
          (error: unknown) => ({ answer: `the ${kind} engine is unreachable (see the server log)`, detail: `The ${kind} engine is unreachable: ${errorMessage(error)}` }),
        ),
        timeout,
      ]);
    } finally {
      clearTimeout(timer);
    }
  }
}
