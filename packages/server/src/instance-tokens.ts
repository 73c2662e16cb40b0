import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { SignJWT, errors as joseErrors, jwtVerify } from 'jose';
import type { Fleet } from '@silo/fleet';

/**
 * Per-instance tokens for the libSQL endpoint, in the form Turso uses: an Ed25519-signed JWT
 * (alg EdDSA) whose `a` claim is the access level (`rw` or `ro`) and whose `id` claim is the
 * database's id — here the instance's catalog id, so a token outlives neither its instance nor
 * a purge and re-create under the same name. `inst` names the instance (routing by token when
 * the URL does not name it) and `gen` is the instance's token generation when it was signed:
 * revoking bumps the generation and every older token stops working.
 *
 * Checking a token needs no catalog read: the signature, the claims, and the generation kept
 * in memory (re-read from its file when the file changes, at most once per `refreshMs`).
 */

const KEY_FILE = 'libsql-token-ed25519.pem';
const GENERATIONS_FILE = 'libsql-token-generations.json';
const ALGORITHM = 'EdDSA';

export type InstanceAccess = 'read-write' | 'read-only';

export interface InstanceTokenClaims {
  /** The instance's catalog id. */
  readonly id: string;
  /** The instance's name. */
  readonly instance: string;
  readonly access: InstanceAccess;
  readonly generation: number;
  /** Milliseconds since the epoch; undefined for a token that does not expire. */
  readonly expiresAt: number | undefined;
}

export interface CreateInstanceTokenOptions {
  /** The folder the signing key and the generations live in (the data folder). */
  readonly tokenSecretDir: string;
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
  const keys = loadSigningKey(options.tokenSecretDir);
  const generation = readGenerations(options.tokenSecretDir).get(info.id) ?? 0;
  const access: InstanceAccess = options.readOnly === true ? 'read-only' : 'read-write';
  const now = Math.floor(Date.now() / 1000);
  let jwt = new SignJWT({ a: access === 'read-only' ? 'ro' : 'rw', id: info.id, inst: info.name, gen: generation })
    .setProtectedHeader({ alg: ALGORITHM, typ: 'JWT' })
    .setIssuedAt(now);
  let expiresAt: Date | undefined;
  if (options.expiresInSeconds !== undefined) {
    if (!Number.isSafeInteger(options.expiresInSeconds) || options.expiresInSeconds <= 0) throw new Error('expiresInSeconds must be a positive whole number.');
    jwt = jwt.setExpirationTime(now + options.expiresInSeconds);
    expiresAt = new Date((now + options.expiresInSeconds) * 1000);
  }
  return { token: await jwt.sign(keys.privateKey), instance: info.name, access, expiresAt };
}

/**
 * Revokes every token issued so far for the instance (`silo token revoke --instance`): its
 * generation goes up by one. Servers see it at their next refresh of the generations file.
 */
export function revokeInstanceTokens(fleet: Fleet, options: { tokenSecretDir: string; instance: string }): { generation: number } {
  const info = fleet.require(options.instance);
  const generations = readGenerations(options.tokenSecretDir);
  const generation = (generations.get(info.id) ?? 0) + 1;
  generations.set(info.id, generation);
  writeGenerations(options.tokenSecretDir, generations);
  return { generation };
}

/** Checks tokens with the public key and the generations in memory; see the module comment. */
export class InstanceTokenVerifier {
  readonly #dir: string;
  readonly #publicKey: KeyObject;
  readonly #refreshMs: number;
  #generations = new Map<string, number>();
  #generationsStamp = '';
  #checkedAt = -Infinity;
  /** Tokens whose signature was checked: verifying Ed25519 costs more than the rest of a point read. */
  readonly #verified = new Map<string, InstanceTokenClaims>();

  constructor(dir: string, options: { refreshMs?: number } = {}) {
    this.#dir = dir;
    this.#publicKey = loadSigningKey(dir).publicKey;
    this.#refreshMs = options.refreshMs ?? 1_000;
  }

  /** The token's claims, or undefined when it is malformed, badly signed, expired or revoked. */
  async verify(token: string, now = Date.now()): Promise<InstanceTokenClaims | undefined> {
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
    return claims.generation === this.#generationOf(claims.id, now) ? claims : undefined;
  }

  async #verifySignature(token: string): Promise<InstanceTokenClaims | undefined> {
    try {
      const { payload } = await jwtVerify(token, this.#publicKey, { algorithms: [ALGORITHM] });
      const { a, id, inst, gen, exp } = payload;
      if ((a !== 'rw' && a !== 'ro') || typeof id !== 'string' || typeof inst !== 'string' || typeof gen !== 'number') return undefined;
      return { id, instance: inst, access: a === 'ro' ? 'read-only' : 'read-write', generation: gen, expiresAt: exp === undefined ? undefined : exp * 1000 };
    } catch (error) {
      if (error instanceof joseErrors.JOSEError) return undefined;
      throw error;
    }
  }

  #generationOf(id: string, now: number): number {
    if (now - this.#checkedAt >= this.#refreshMs) {
      this.#checkedAt = now;
      const stamp = fileStamp(path.join(this.#dir, GENERATIONS_FILE));
      if (stamp !== this.#generationsStamp) {
        this.#generations = readGenerations(this.#dir);
        this.#generationsStamp = stamp;
      }
    }
    return this.#generations.get(id) ?? 0;
  }
}

const VERIFIED_CACHE_SIZE = 10_000;

function fileStamp(file: string): string {
  try {
    const stat = statSync(file);
    return `${stat.mtimeMs}:${stat.size}:${stat.ino}`;
  } catch {
    return 'missing';
  }
}

function readGenerations(dir: string): Map<string, number> {
  let text: string;
  try {
    text = readFileSync(path.join(dir, GENERATIONS_FILE), 'utf8');
  } catch {
    return new Map();
  }
  const parsed = JSON.parse(text) as unknown;
  const map = new Map<string, number>();
  if (parsed !== null && typeof parsed === 'object') {
    for (const [id, value] of Object.entries(parsed)) if (typeof value === 'number') map.set(id, value);
  }
  return map;
}

/** Written to a temporary file and renamed, so a server never reads half a file. */
function writeGenerations(dir: string, generations: ReadonlyMap<string, number>): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = path.join(dir, GENERATIONS_FILE);
  const temp = `${file}.${process.pid}.tmp`;
  writeFileSync(temp, `${JSON.stringify(Object.fromEntries(generations))}\n`, { mode: 0o600 });
  renameSync(temp, file);
}

/**
 * The Ed25519 key pair, created on first use beside the server secret and owner-only like it
 * (@silo/web loadSecret): 'wx' so two processes starting at once end up with the same key.
 */
export function loadSigningKey(dir: string): { privateKey: KeyObject; publicKey: KeyObject } {
  const file = path.join(dir, KEY_FILE);
  let pem: string;
  try {
    pem = readFileSync(file, 'utf8');
  } catch {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const created = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    try {
      writeFileSync(file, created, { flag: 'wx', mode: 0o600 });
      chmodSync(file, 0o600);
      pem = created;
    } catch {
      pem = readFileSync(file, 'utf8');
    }
  }
  const privateKey = createPrivateKey(pem);
  return { privateKey, publicKey: createPublicKey(privateKey) };
}
