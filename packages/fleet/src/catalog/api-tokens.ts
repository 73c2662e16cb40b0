import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { SiloError } from '../errors';
import { PROCESS_OWNER, ownerAlive } from '../processes';
import type { AuditWriter } from './admin-directory';
import type { CatalogDb } from './catalog-db';
import { Statements } from './statements';

export const API_TOKEN_SCOPES = ['read', 'write', 'admin'] as const;
/** read: look and query read-only; write: also create, change and restore; admin: also purge, migrate, audit log. */
export type ApiTokenScope = (typeof API_TOKEN_SCOPES)[number];

export interface ApiToken {
  readonly id: string;
  readonly label: string;
  readonly scope: ApiTokenScope;
  /** The only jurisdiction whose instances it sees; null for all. */
  readonly jurisdiction: string | null;
  readonly createdBy: string;
  readonly createdAt: number;
  readonly expiresAt: number | null;
  readonly lastUsedAt: number | null;
  readonly revokedAt: number | null;
}

export interface NewApiToken {
  scope: ApiTokenScope;
  jurisdiction?: string | null;
  label?: string;
  expiresAt?: number | null;
  actor?: string;
}

/** A stored answer to an Idempotency-Key; `status` undefined while the first request runs. */
export interface IdempotentResponse {
  readonly requestHash: string;
  readonly status: number | undefined;
  readonly body: string | undefined;
}

interface TokenRow {
  id: string;
  token_hash: string;
  label: string;
  scope: ApiTokenScope;
  jurisdiction: string | null;
  created_by: string;
  created_at: number;
  expires_at: number | null;
  last_used_at: number | null;
  revoked_at: number | null;
}

const TOKEN_PREFIX = 'silo_';
/** `last_used_at` is written at most this often per token: a busy client must not write the catalog on every call. */
const LAST_USED_RESOLUTION_MS = 60_000;
/** Idempotency keys are kept this long (as Stripe does): long enough for any retry. */
const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;
/**
 * How long an unanswered claim by a process whose liveness this machine cannot check (another
 * host sharing a catalog on Turso, or a claim from before owners were recorded) holds its key.
 */
const IDEMPOTENCY_LEASE_MS = 60 * 60 * 1000;

/** Whether the process that claimed a key and has not answered is gone. */
function abandoned(claim: { owner: string | null; created_at: number }, now: number): boolean {
  const alive = claim.owner === null ? undefined : ownerAlive(claim.owner);
  return alive === undefined ? now - claim.created_at >= IDEMPOTENCY_LEASE_MS : !alive;
}
const LABEL_MAX_LENGTH = 100;

/** The last instant a JavaScript `Date` can hold (ECMA-262 §21.4.1.1), in milliseconds. */
const LAST_DATE_MS = 8.64e15;

/**
 * An expiry the catalog can keep and every reader can turn back into a date: a whole number of
 * milliseconds, in the future and no later than JavaScript's last date. NaN would compare false
 * with every clock and so never expire; Infinity or a later number is stored but shows as no
 * date at all.
 */
function checkExpiry(expiresAt: number, now: number): void {
  if (!Number.isSafeInteger(expiresAt) || expiresAt > LAST_DATE_MS) {
    throw new SiloError('INVALID_INPUT', `A token's expiry must be a date: whole milliseconds since 1970, at most ${LAST_DATE_MS}.`);
  }
  if (expiresAt <= now) throw new SiloError('INVALID_INPUT', 'A token must expire in the future.');
}

/**
 * Tokens of the fleet's HTTP API and the answers kept for idempotency keys, in the catalog.
 * A token is `silo_<id>_<secret>`: the id finds the row, and the SHA-256 of the whole token is
 * compared in constant time with the stored one. The token itself is returned once, by
 * `create`, and never stored. Creating and revoking are audited.
 */
export class ApiTokens {
  readonly #statements: Statements;
  readonly #audit: AuditWriter;

  constructor(db: CatalogDb, audit: AuditWriter) {
    this.#statements = new Statements(db);
    this.#audit = audit;
  }

  create(input: NewApiToken, now = Date.now()): { token: string; info: ApiToken } {
    if (!API_TOKEN_SCOPES.includes(input.scope)) {
      throw new SiloError('INVALID_INPUT', `Unknown scope "${String(input.scope)}". Use one of: ${API_TOKEN_SCOPES.join(', ')}.`);
    }
    const label = (input.label ?? '').trim();
    if (label.length > LABEL_MAX_LENGTH) throw new SiloError('INVALID_INPUT', `A token's label is at most ${LABEL_MAX_LENGTH} characters.`);
    if (input.expiresAt != null) checkExpiry(input.expiresAt, now);
    const id = randomBytes(6).toString('hex');
    const token = `${TOKEN_PREFIX}${id}_${randomBytes(32).toString('base64url')}`;
    const actor = input.actor ?? 'system';
    const row: TokenRow = {
      id,
      token_hash: hashApiToken(token),
      label,
      scope: input.scope,
      jurisdiction: input.jurisdiction ?? null,
      created_by: actor,
      created_at: now,
      expires_at: input.expiresAt ?? null,
      last_used_at: null,
      revoked_at: null,
    };
    this.#statements
      .get(
        `INSERT INTO api_tokens (id, token_hash, label, scope, jurisdiction, created_by, created_at, expires_at)
         VALUES (@id, @token_hash, @label, @scope, @jurisdiction, @created_by, @created_at, @expires_at)`,
      )
      .run({
        id: row.id,
        token_hash: row.token_hash,
        label: row.label,
        scope: row.scope,
        jurisdiction: row.jurisdiction,
        created_by: row.created_by,
        created_at: row.created_at,
        expires_at: row.expires_at,
      });
    this.#audit({ actor, operation: 'token create', outcome: 'ok', error: null, detail: { id, scope: row.scope, jurisdiction: row.jurisdiction, expiresAt: row.expires_at } });
    return { token, info: toToken(row) };
  }

  /** Every token, revoked and expired ones too, newest first. */
  list(): ApiToken[] {
    return this.#statements.get<[], TokenRow>('SELECT * FROM api_tokens ORDER BY created_at DESC, id').all().map(toToken);
  }

  find(id: string): ApiToken | undefined {
    const row = this.#statements.get<[string], TokenRow>('SELECT * FROM api_tokens WHERE id = ?').get(id);
    return row && toToken(row);
  }

  /** Revokes a token at once; revoking one already revoked is a no-op. INVALID_INPUT for an unknown id. */
  revoke(id: string, actor = 'system', now = Date.now()): ApiToken {
    const found = this.find(id);
    if (!found) throw new SiloError('INVALID_INPUT', `No API token with the id "${id}". List them with \`silo token list\`.`);
    if (found.revokedAt !== null) return found;
    this.#statements.get('UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL').run(now, id);
    this.#audit({ actor, operation: 'token revoke', outcome: 'ok', error: null, detail: { id } });
    return { ...found, revokedAt: now };
  }

  /**
   * The live token this secret is, or undefined (unknown, malformed, revoked or expired: the
   * caller answers all of them alike). Records its use, at most once a minute.
   */
  authenticate(token: string, now = Date.now()): ApiToken | undefined {
    const id = idOf(token);
    if (id === undefined) return undefined;
    const row = this.#statements.get<[string], TokenRow>('SELECT * FROM api_tokens WHERE id = ?').get(id);
    if (!row || !sameHash(row.token_hash, hashApiToken(token))) return undefined;
    if (row.revoked_at !== null || (row.expires_at !== null && row.expires_at <= now)) return undefined;
    if (row.last_used_at === null || now - row.last_used_at >= LAST_USED_RESOLUTION_MS) {
      try {
        this.#statements.get('UPDATE api_tokens SET last_used_at = ? WHERE id = ?').run(now, id);
        row.last_used_at = now;
      } catch {
        // Informational only: a full disk or a busy catalog must not refuse the call.
      }
    }
    return toToken(row);
  }

  // ── Idempotency keys ─────────────────────────────────────────────────────────────────────

  /**
   * Claims `key` for this token and request, or returns what is stored under it: the first
   * caller gets undefined and must `completeIdempotent` (or `releaseIdempotent`) later.
   */
  claimIdempotent(tokenId: string, key: string, requestHash: string, now = Date.now()): IdempotentResponse | undefined {
    this.#statements.get('DELETE FROM api_idempotency WHERE created_at < ?').run(now - IDEMPOTENCY_TTL_MS);
    const { changes } = this.#statements
      .get('INSERT OR IGNORE INTO api_idempotency (token_id, key, request_hash, created_at, owner) VALUES (?, ?, ?, ?, ?)')
      .run(tokenId, key, requestHash, now, PROCESS_OWNER);
    if (changes === 1) return undefined;
    const row = this.#statements
      .get<[string, string], { request_hash: string; status: number | null; response: string | null; created_at: number; owner: string | null }>(
        'SELECT request_hash, status, response, created_at, owner FROM api_idempotency WHERE token_id = ? AND key = ?',
      )
      .get(tokenId, key);
    // Expired and removed between the two statements: claim it again.
    if (!row) return this.claimIdempotent(tokenId, key, requestHash, now);
    if (row.status === null && row.request_hash === requestHash && abandoned(row, now)) {
      // The same request again, and whoever ran it first is gone: this retry runs it. One retry
      // wins the update; another arriving with it is told the request is running.
      const taken = this.#statements
        .get('UPDATE api_idempotency SET owner = ?, created_at = ? WHERE token_id = ? AND key = ? AND status IS NULL AND owner IS ? AND created_at = ?')
        .run(PROCESS_OWNER, now, tokenId, key, row.owner, row.created_at).changes;
      if (taken === 1) return undefined;
    }
    return { requestHash: row.request_hash, status: row.status ?? undefined, body: row.response ?? undefined };
  }

  completeIdempotent(tokenId: string, key: string, status: number, body: string): void {
    this.#statements.get('UPDATE api_idempotency SET status = ?, response = ? WHERE token_id = ? AND key = ?').run(status, body, tokenId, key);
  }

  /** Forgets a claim whose request did not finish with an answer worth repeating (a server error). */
  releaseIdempotent(tokenId: string, key: string): void {
    this.#statements.get('DELETE FROM api_idempotency WHERE token_id = ? AND key = ? AND status IS NULL').run(tokenId, key);
  }
}

export function hashApiToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

function idOf(token: string): string | undefined {
  const match = /^silo_([0-9a-f]{12})_[A-Za-z0-9_-]{43}$/.exec(token);
  return match?.[1];
}

function sameHash(a: string, b: string): boolean {
  const left = Buffer.from(a, 'hex');
  const right = Buffer.from(b, 'hex');
  return left.length === right.length && timingSafeEqual(left, right);
}

function toToken(row: TokenRow): ApiToken {
  return {
    id: row.id,
    label: row.label,
    scope: row.scope,
    jurisdiction: row.jurisdiction,
    createdBy: row.created_by,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    lastUsedAt: row.last_used_at,
    revokedAt: row.revoked_at,
  };
}
