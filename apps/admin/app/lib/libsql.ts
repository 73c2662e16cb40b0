/** What a libSQL token action hands back to the instance page's Connect card (server and browser). */
export interface LibsqlAction {
  intent: string;
  ok?: string;
  error?: string;
  /** The new token: in this answer only, never stored, in the URL or logged. */
  token?: string;
}

/** Lifetimes offered for a libSQL token, in days (0: never expires, as on Turso). */
export const LIBSQL_TOKEN_DAYS = [1, 30, 0] as const;
