import { createHmac, timingSafeEqual } from 'node:crypto';
import { platformError } from './http-util';

/**
 * Group and database tokens: JWT-shaped (header.payload.signature, base64url), signed with
 * the stand-in's secret. Real Turso signs with Ed25519 keys per group; callers must treat
 * tokens as opaque either way. Rotation bumps a generation counter that every token carries,
 * so `auth/rotate` invalidates all earlier tokens at once.
 */
export type TokenScope = { kind: 'group' | 'database'; id: string };
export type TokenAccess = 'full-access' | 'read-only';

export interface TokenClaims {
  scope: TokenScope;
  access: TokenAccess;
  /** Generation of the group (and, for database tokens, of the database) at issue time. */
  groupGeneration: number;
  databaseGeneration: number;
  /** Seconds since the epoch, as in a JWT; undefined = never expires. */
  expiresAt: number | undefined;
}

interface TokenPayload {
  iat: number;
  exp?: number;
  a: 'rw' | 'ro';
  k: 'g' | 'd';
  id: string;
  gg: number;
  dg: number;
}

const HEADER = base64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));

function base64url(text: string | Buffer): string {
  return Buffer.from(text).toString('base64url');
}

function sign(secret: Buffer, data: string): string {
  return createHmac('sha256', secret).update(data).digest('base64url');
}

export function issueToken(secret: Buffer, claims: TokenClaims, nowMs: number): string {
  const payload: TokenPayload = {
    iat: Math.floor(nowMs / 1000),
    a: claims.access === 'read-only' ? 'ro' : 'rw',
    k: claims.scope.kind === 'group' ? 'g' : 'd',
    id: claims.scope.id,
    gg: claims.groupGeneration,
    dg: claims.databaseGeneration,
  };
  if (claims.expiresAt !== undefined) payload.exp = claims.expiresAt;
  const body = `${HEADER}.${base64url(JSON.stringify(payload))}`;
  return `${body}.${sign(secret, body)}`;
}

/** The claims of a token this stand-in signed and that has not expired; undefined otherwise. */
export function verifyToken(secret: Buffer, token: string, nowMs: number): TokenClaims | undefined {
  const parts = token.split('.');
  if (parts.length !== 3) return undefined;
  const [header, payloadText, signature] = parts as [string, string, string];
  const expected = Buffer.from(sign(secret, `${header}.${payloadText}`));
  const given = Buffer.from(signature);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) return undefined;
  let payload: TokenPayload;
  try {
    payload = JSON.parse(Buffer.from(payloadText, 'base64url').toString('utf8')) as TokenPayload;
  } catch {
    return undefined;
  }
  if (payload.exp !== undefined && nowMs / 1000 >= payload.exp) return undefined;
  return {
    scope: { kind: payload.k === 'g' ? 'group' : 'database', id: payload.id },
    access: payload.a === 'ro' ? 'read-only' : 'full-access',
    groupGeneration: payload.gg,
    databaseGeneration: payload.dg,
    expiresAt: payload.exp,
  };
}

const UNIT_SECONDS: Record<string, number> = { w: 604_800, d: 86_400, h: 3_600, m: 60, s: 1 };

/**
 * The `expiration` query parameter: "never" (the default) or a duration such as `2w1d30m`
 * (units w, d, h, m, s). Returns the JWT `exp` in seconds, undefined for never.
 */
export function parseExpiration(value: string | null, nowMs: number): number | undefined {
  if (value === null || value === '' || value === 'never') return undefined;
  if (!/^(\d+[wdhms])+$/.test(value)) throw platformError(400, 'Invalid expiration format');
  let seconds = 0;
  for (const [, amount, unit] of value.matchAll(/(\d+)([wdhms])/g)) {
    seconds += Number(amount) * (UNIT_SECONDS[unit as string] ?? 0);
  }
  if (seconds <= 0) throw platformError(400, 'Invalid expiration format');
  return Math.floor(nowMs / 1000) + seconds;
}

export function parseAccess(value: string | null): TokenAccess {
  if (value === null || value === '' || value === 'full-access') return 'full-access';
  if (value === 'read-only') return 'read-only';
  throw platformError(400, `invalid authorization "${value}": expected full-access or read-only`);
}
