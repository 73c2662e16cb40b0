import { SiloError, errorMessage, isSiloError } from '../errors';
import type { SecretScrubber } from './turso-secrets';

/**
 * One Platform API request, with what `@tursodatabase/api` 2.0.5 cannot give us: the
 * `Retry-After` header of a 429 or 503, the status of an error whose body is not JSON (the SDK
 * then throws a plain `Error("Something went wrong! Status 503")` with no status), and query
 * parameters it does not send (`limit`/`cursor` of the database list, `expiration` of a token
 * is sent by the SDK but only as given).
 *
 * Retries are bounded: at most `attempts` tries, and a `Retry-After` longer than
 * `maxRetryAfterMs` is not waited for (the error is raised instead, naming the wait), so a
 * request never hangs a create or a start-up for minutes.
 */
export interface PlatformRetryPolicy {
  readonly attempts: number;
  readonly baseDelayMs: number;
  readonly maxRetryAfterMs: number;
}

export const DEFAULT_RETRY_POLICY: PlatformRetryPolicy = { attempts: 4, baseDelayMs: 200, maxRetryAfterMs: 30_000 };

export interface PlatformRequest {
  readonly method: 'GET' | 'POST' | 'DELETE' | 'PATCH';
  /** Relative to `<apiUrl>/v1/`, e.g. `organizations/acme/databases`. */
  readonly path: string;
  readonly query?: Readonly<Record<string, string | number | undefined>>;
  readonly body?: unknown;
}

export class PlatformApi {
  readonly #baseUrl: string;
  readonly #token: string;
  readonly #scrubber: SecretScrubber;
  readonly #retry: PlatformRetryPolicy;
  readonly #sleep: (ms: number) => Promise<void>;

  constructor(options: {
    apiUrl: string;
    apiToken: string;
    scrubber: SecretScrubber;
    retry?: PlatformRetryPolicy;
    sleep?: (ms: number) => Promise<void>;
  }) {
    this.#baseUrl = `${options.apiUrl.replace(/\/+$/, '')}/v1/`;
    this.#token = options.apiToken;
    this.#scrubber = options.scrubber;
    this.#scrubber.add(options.apiToken);
    this.#retry = options.retry ?? DEFAULT_RETRY_POLICY;
    this.#sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  /**
   * Sends the request; 429, 5xx and network failures are retried after `Retry-After` (when the
   * answer has one) or an exponential backoff. Only call it for requests that are safe to repeat:
   * reads, deletes (a repeated delete answers 404, which callers accept), token mints (a token
   * more is harmless) and creates whose 409 the caller resolves by looking the database up.
   */
  async request<T>(what: string, request: PlatformRequest): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      let failure: SiloError;
      try {
        return await this.#once<T>(what, request);
      } catch (error) {
        if (!(error instanceof SiloError)) throw error;
        failure = error;
      }
      const status = statusOf(failure);
      const transient = status === undefined || status === 429 || status >= 500;
      if (!transient || attempt >= this.#retry.attempts) throw failure;
      const details = isSiloError(failure, 'ENGINE_FAILURE') ? failure.details : {};
      const retryAfter = details.retryAfterMs;
      const delay = typeof retryAfter === 'number' ? retryAfter : this.#retry.baseDelayMs * 2 ** (attempt - 1);
      if (delay > this.#retry.maxRetryAfterMs) {
        throw new SiloError('ENGINE_FAILURE', `${failure.message} Turso asked to wait ${Math.ceil(delay / 1000)} s; try again later.`, {
          cause: failure,
          details,
        });
      }
      await this.#sleep(delay);
    }
  }

  async #once<T>(what: string, request: PlatformRequest): Promise<T> {
    const url = new URL(request.path, this.#baseUrl);
    for (const [key, value] of Object.entries(request.query ?? {})) if (value !== undefined) url.searchParams.set(key, String(value));
    let response: Response;
    try {
      response = await fetch(url, {
        method: request.method,
        headers: {
          authorization: `Bearer ${this.#token}`,
          'user-agent': 'silo',
          ...(request.body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(request.body === undefined ? {} : { body: JSON.stringify(request.body) }),
      });
    } catch (error) {
      throw new SiloError('ENGINE_FAILURE', this.#scrubber.scrub(`Turso could not ${what}: ${errorMessage(error)} (the Platform API did not answer).`), {
        cause: error,
        details: {},
      });
    }
    const text = await response.text();
    if (!response.ok) {
      const reason = errorBodyReason(text) ?? (text.trim() === '' ? 'no reason given' : `non-JSON answer: ${text.trim().slice(0, 200)}`);
      const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'));
      throw new SiloError('ENGINE_FAILURE', this.#scrubber.scrub(`Turso could not ${what} (HTTP ${response.status}): ${reason}.`), {
        details: { status: response.status, ...(retryAfterMs === undefined ? {} : { retryAfterMs }) },
      });
    }
    if (text.trim() === '') return {} as T;
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new SiloError('ENGINE_FAILURE', this.#scrubber.scrub(`Turso could not ${what}: the answer (HTTP ${response.status}) is not JSON.`), {
        details: { status: response.status },
      });
    }
  }
}

/** `{"error": "..."}` (every error in the OpenAPI file), or undefined for any other body. */
function errorBodyReason(text: string): string | undefined {
  try {
    const parsed = JSON.parse(text) as unknown;
    if (typeof parsed === 'object' && parsed !== null && typeof (parsed as { error?: unknown }).error === 'string') {
      return (parsed as { error: string }).error;
    }
  } catch {
    // Not JSON: a proxy's HTML page, or plain text.
  }
  return undefined;
}

/** `Retry-After` in seconds or as an HTTP date (RFC 9110 §10.2.3), in milliseconds from now. */
export function parseRetryAfter(value: string | null, now: number = Date.now()): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/**
 * The HTTP status of a Platform API failure, when there was a response. Besides our own
 * errors, an `@tursodatabase/api` error counts: its `status` property, or, when the error
 * body was not JSON, the SDK's message "Something went wrong! Status 404".
 */
export function statusOf(error: unknown): number | undefined {
  if (isSiloError(error, 'ENGINE_FAILURE') && typeof error.details.status === 'number') return error.details.status;
  const status = (error as { status?: unknown } | null)?.status;
  if (typeof status === 'number') return status;
  const match = /\bStatus (\d{3})\b/.exec(errorMessage(error));
  return match ? Number(match[1]) : undefined;
}
