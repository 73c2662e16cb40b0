import type { StreamOptions, StreamRequest, StreamResult } from '@silo/turso-standin/hrana';

/** Messages between the endpoint and its stream host processes (stream-host.ts). */
export interface OpenStream {
  readonly instanceId: string;
  readonly file: string;
  readonly readOnly: boolean;
  readonly maxBytes: number | undefined;
  readonly options: StreamOptions;
}

export type ToHost =
  /** A whole pipeline in one message: one round trip per HTTP request; `open` comes with a stream's first. */
  | {
      type: 'requests';
      id: number;
      stream: number;
      open?: OpenStream;
      requests: StreamRequest[];
      /** Whether the host says `started` before running them (see RemoteStream.dispatch). */
      announce: boolean;
    }
  | { type: 'close'; stream: number };

export type FromHost =
  | {
      type: 'reply';
      id: number;
      /** The stream closed (a `close` request, or it failed to open). */
      closed: boolean;
      results?: StreamResult[];
      /** The request was refused as a whole (sqld's 403 for a read-only token). */
      httpError?: { status: number; body: Record<string, unknown> };
      /** The stream could not be served (its connection did not open). */
      failure?: string;
    }
  /** The host began a request: from then on the stream has state there. */
  | { type: 'started'; id: number }
  /**
   * The host finished one statement of a pipeline and goes on to the next: it is alive, and
   * the time limit, which is per statement, counts again from here (StreamHost's watchdog).
   */
  | { type: 'progress'; id: number }
  | { type: 'commit'; stream: number };
