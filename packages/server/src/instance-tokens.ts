import { createPrivateKey, createPublicKey, hkdfSync, type KeyObject } from 'node:crypto';
import { SignJWT, errors as joseErrors, jwtVerify } from 'jose';
import type { Fleet } from '@silo/fleet';
import { loadSecret } from '@silo/web';

/**
 * Per-instance tokens for the libSQL endpoint, in the form Turso uses: an Ed25519-signed JWT
 * (alg EdDSA) whose `a` claim is the access level (`rw` or `ro`) and whose `id` claim is the
 * database's id — here the instance's catalog id, so a token outlives neither its instance nor
 * a purge and re-create under the same name. `inst` names the instance (routing by token when
 * the URL does not name it) and `gen` is the instance's token generation when it was signed:
 * revoking bumps the generation and every older token stops working.
 *
 * Jurisdiction tokens (Turso's group tokens) have `jur` instead of `id` and `inst`, are valid
 * for every instance of that jurisdiction, and are revoked through the jurisdiction's own
 * generation.
 *
 * The key pair is derived from the server secret, so every server sharing SILO_SECRET signs and
 * checks alike, and the generations live in the catalog, so a revocation reaches all of them.
 * Checking a token reads the catalog at most once per `refreshMs` (the whole generations table
 * in one query), never per request.
 */

const ALGORITHM = 'EdDSA';
/** Versioned: changing how the key is derived must not silently accept tokens of the old way. */
const KEY_INFO = 'silo libsql token signing v1';
/** RFC 8410's PKCS#8 header for an Ed25519 private key, followed by the 32-byte seed. */
const ED25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

/** Where the server secret comes from: `secret` itself, else `loadSecret(tokenSecretDir)` (SILO_SECRET, else the folder's secret.key). */
export interface TokenSecretSource {
  /** The folder `loadSecret` keeps a generated secret in when SILO_SECRET is not set (the data folder). */
  readonly tokenSecretDir: string;
  /** The server secret itself, overriding SILO_SECRET and the folder. */
  readonly secret?: string;
}

export type InstanceAccess = 'read-write' | 'read-only';

export interface InstanceTokenClaims {
  readonly kind: 'instance';
  /** The instance's catalog id. */
  readonly id: string;
  /** The instance's name. */
  readonly instance: string;
  readonly access: InstanceAccess;
  readonly generation: number;
  /** Milliseconds since the epoch; undefined for a token that does not expire. */
  readonly expiresAt: number | undefined;
}

/**
 * A jurisdiction token: valid for every instance of one jurisdiction, as a Turso group token is
 * for every database of its group (the Turso engine, pointed at `silo serve`, uses one per
 * group). `jur` names the jurisdiction; `gen` is the jurisdiction's token generation.
 */
export interface JurisdictionTokenClaims {
  readonly kind: 'jurisdiction';
  readonly jurisdiction: string;
  readonly access: InstanceAccess;
  readonly generation: number;
  readonly expiresAt: number | undefined;
}

export type LibsqlTokenClaims = InstanceTokenClaims | JurisdictionTokenClaims;

export interface CreateInstanceTokenOptions extends TokenSecretSource {
  readonly instance: string;
  readonly readOnly?: boolean;
  /** Lifetime in seconds; no expiry when left out (Turso's default too). */
  readonly expiresInSeconds?: number;
}

export interface CreatedInstanceToken {
  readonly token: string;
  readonly instance: string;
  readonly access: InstanceAccess;
  readonly expiresAt: Date | undefined;
}

/**
 * Signs a token for one instance (`silo token create --instance <name> [--read-only]`). The
 * instance must exist and not be deleted; its state is checked again on every request.
 */
export async function createInstanceToken(fleet: Fleet, options: CreateInstanceTokenOptions): Promise<CreatedInstanceToken> {
  const info = fleet.require(options.instance);
  if (info.state === 'deleted') throw new Error(`Instance "${options.instance}" is deleted; undelete it before issuing tokens.`);
  const access: InstanceAccess = options.readOnly === true ? 'read-only' : 'read-write';
  const signed = await signToken(options, { a: access === 'read-only' ? 'ro' : 'rw', id: info.id, inst: info.name, gen: fleet.tokenGenerations.of(info.id) });
  return { token: signed.token, instance: info.name, access, expiresAt: signed.expiresAt };
}

export interface CreateJurisdictionTokenOptions extends TokenSecretSource {
  readonly jurisdiction: string;
  readonly readOnly?: boolean;
  /** Lifetime in seconds; no expiry when left out. */
  readonly expiresInSeconds?: number;
}

export interface CreatedJurisdictionToken {
  readonly token: string;
  readonly jurisdiction: string;
  readonly access: InstanceAccess;
  readonly expiresAt: Date | undefined;
}

/**
 * Signs a token for every instance of a jurisdiction (`silo token create --libsql
 * --jurisdiction eu [--read-only]`), present and future: Turso's group token. The client must
 * name the instance in its URL (`/db/<name>/`, or the host name), since the token does not.
 */
export async function createJurisdictionToken(fleet: Fleet, options: CreateJurisdictionTokenOptions): Promise<CreatedJurisdictionToken> {
  // An unknown jurisdiction is refused now, not on the token's first use.
  const { jurisdiction } = fleet.regions.place(options.jurisdiction);
  const access: InstanceAccess = options.readOnly === true ? 'read-only' : 'read-write';
  const signed = await signToken(options, { a: access === 'read-only' ? 'ro' : 'rw', jur: jurisdiction, gen: fleet.tokenGenerations.of(jurisdictionGenerationKey(jurisdiction)) });
  return { token: signed.token, jurisdiction, access, expiresAt: signed.expiresAt };
}

/**
 * Revokes every jurisdiction token issued so far for the jurisdiction (instance tokens of its
 * instances are not touched): the jurisdiction's generation goes up by one, in the catalog.
 */
export function revokeJurisdictionTokens(fleet: Fleet, options: { jurisdiction: string }): { generation: number } {
  const { jurisdiction } = fleet.regions.place(options.jurisdiction);
  return { generation: fleet.tokenGenerations.bump(jurisdictionGenerationKey(jurisdiction)) };
}

/**
 * A jurisdiction's row in `instance_token_generations`, beside the instances' (keyed by their
 * catalog ids, UUIDs, which never contain a colon): one table, one read per refresh for both.
 */
export function jurisdictionGenerationKey(jurisdiction: string): string {
  return `jurisdiction:${jurisdiction}`;
}

async function signToken(options: TokenSecretSource & { expiresInSeconds?: number }, claims: Record<string, string | number>): Promise<{ token: string; expiresAt: Date | undefined }> {
  const keys = signingKeys(options);
  const nowMs = Date.now();
  let jwt = new SignJWT(claims).setProtectedHeader({ alg: ALGORITHM, typ: 'JWT' }).setIssuedAt(Math.floor(nowMs / 1000));
  let expiresAt: Date | undefined;
  if (options.expiresInSeconds !== undefined) {
    if (!Number.isSafeInteger(options.expiresInSeconds) || options.expiresInSeconds <= 0) throw new Error('expiresInSeconds must be a positive whole number.');
    // JWT times are whole seconds. Rounding the expiry up keeps the promise of at least the
    // lifetime asked for; rounding down would leave a one-second token a few milliseconds.
    const exp = Math.ceil(nowMs / 1000 + options.expiresInSeconds);
    expiresAt = new Date(exp * 1000);
    // Past JavaScript's last date the token would verify (`exp` is only a number) while every
    // reader of its expiry, the CLI's and the console's included, shows no date at all.
    if (Number.isNaN(expiresAt.getTime())) throw new Error('expiresInSeconds reaches past the last date JavaScript can hold.');
    jwt = jwt.setExpirationTime(exp);
  }
  return { token: await jwt.sign(keys.privateKey), expiresAt };
}

/**
 * Revokes every token issued so far for the instance (`silo token revoke --instance`): its
 * generation goes up by one, in the catalog. Servers see it at their next refresh (a second),
 * after their replica's sync when the catalog is on Turso. No secret is needed to revoke.
 */
export function revokeInstanceTokens(fleet: Fleet, options: { instance: string }): { generation: number } {
  const info = fleet.require(options.instance);
  return { generation: fleet.tokenGenerations.bump(info.id) };
}

/** Checks tokens with the public key and the generations in memory; see the module comment. */
export class InstanceTokenVerifier {
  readonly #fleet: Fleet;
  readonly #publicKey: KeyObject;
  readonly #refreshMs: number;
  #generations = new Map<string, number>();
  #checkedAt = -Infinity;
  /** Tokens whose signature was checked: verifying Ed25519 costs more than the rest of a point read. */
  readonly #verified = new Map<string, LibsqlTokenClaims>();

  constructor(fleet: Fleet, options: TokenSecretSource & { refreshMs?: number }) {
    this.#fleet = fleet;
    this.#publicKey = signingKeys(options).publicKey;
    this.#refreshMs = options.refreshMs ?? 1_000;
  }

  /** The token's claims, or undefined when it is malformed, badly signed, expired or revoked. */
  async verify(token: string, now = Date.now()): Promise<LibsqlTokenClaims | undefined> {
    let claims = this.#verified.get(token);
    if (claims === undefined) {
      claims = await this.#verifySignature(token);
      if (claims === undefined) return undefined;
      if (this.#verified.size >= VERIFIED_CACHE_SIZE) this.#verified.delete(this.#verified.keys().next().value as string);
      this.#verified.set(token, claims);
    }
    if (claims.expiresAt !== undefined && now >= claims.expiresAt) {
      this.#verified.delete(token);
      return undefined;
    }
    // A newer generation than the one in memory is a token signed on another server since this
    // one last read the catalog: only revocation makes tokens void, so it is accepted.
    const key = claims.kind === 'instance' ? claims.id : jurisdictionGenerationKey(claims.jurisdiction);
    return claims.generation >= this.#generationOf(key, now) ? claims : undefined;
  }

  async #verifySignature(token: string): Promise<LibsqlTokenClaims | undefined> {
    try {
      const { payload } = await jwtVerify(token, this.#publicKey, { algorithms: [ALGORITHM] });
      const { a, id, inst, jur, gen, exp } = payload;
      if ((a !== 'rw' && a !== 'ro') || typeof gen !== 'number') return undefined;
      const common = { access: a === 'ro' ? 'read-only' : 'read-write', generation: gen, expiresAt: exp === undefined ? undefined : exp * 1000 } as const;
      // Exactly one kind: a token naming both an instance and a jurisdiction is not one of ours.
      if (typeof id === 'string' && typeof inst === 'string' && jur === undefined) return { kind: 'instance', id, instance: inst, ...common };
      if (typeof jur === 'string' && id === undefined && inst === undefined) return { kind: 'jurisdiction', jurisdiction: jur, ...common };
      return undefined;
    } catch (error) {
      if (error instanceof joseErrors.JOSEError) return undefined;
      throw error;
    }
  }

  #generationOf(key: string, now: number): number {
    if (now - this.#checkedAt >= this.#refreshMs) {
      this.#checkedAt = now;
      this.#generations = this.#fleet.tokenGenerations.all();
    }
    return this.#generations.get(key) ?? 0;
  }
}

const VERIFIED_CACHE_SIZE = 10_000;

/**
 * The Ed25519 key pair, derived from the server secret and never stored: HKDF-SHA256 gives the
 * 32-byte seed, wrapped in PKCS#8 for node:crypto. The same secret gives the same key on every
 * server; another secret gives a key no token of the first verifies with.
 */
export function signingKeys(source: TokenSecretSource): { privateKey: KeyObject; publicKey: KeyObject } {
  const secret = source.secret ?? loadSecret(source.tokenSecretDir);
  const seed = Buffer.from(hkdfSync('sha256', secret, Buffer.alloc(0), KEY_INFO, 32));
  const privateKey = createPrivateKey({ key: Buffer.concat([ED25519_PKCS8_PREFIX, seed]), format: 'der', type: 'pkcs8' });
  return { privateKey, publicKey: createPublicKey(privateKey) };
}
