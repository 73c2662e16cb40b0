import { SiloError } from '../errors';
import type { TursoGroupInfo, TursoPlatform } from './turso-platform';

export type TokenAccess = 'full' | 'read';

interface HeldToken {
  readonly token: string;
  /** When Turso stops accepting it (ms); undefined for a token the operator configured. */
  readonly expiresAt: number | undefined;
}

const UNIT_MS: Readonly<Record<string, number>> = { w: 604_800_000, d: 86_400_000, h: 3_600_000, m: 60_000, s: 1_000 };

/** Turso's duration syntax for `expiration` (`1d`, `12h`, `2w1d30m`), in milliseconds; undefined if it is not one. */
export function parseTokenLifetime(value: string): number | undefined {
  if (!/^(\d+[wdhms])+$/.test(value)) return undefined;
  let ms = 0;
  for (const [, amount, unit] of value.matchAll(/(\d+)([wdhms])/g)) ms += Number(amount) * (UNIT_MS[unit as string] ?? 0);
  return ms > 0 ? ms : undefined;
}

/**
 * Group tokens, per group: full access (configured, or minted at start-up) for the apps, and
 * read-only (always minted) for the SQL console and exports. In memory only.
 *
 * Minted tokens carry an expiration (SILO_TURSO_TOKEN_EXPIRATION, a day by default): Turso's
 * default is a token that never expires, which would stay valid for anyone who copied it until
 * the whole group's tokens are invalidated. Each minted token is renewed once most of its life
 * has passed (a timer, and a check on every use in case the timer ran late), and at once when
 * Turso refuses it (401: rotated or expired).
 */
export class GroupTokens {
  readonly #full = new Map<string, HeldToken>();
  readonly #read = new Map<string, HeldToken>();
  /** Renewals in flight, so a burst of refused requests mints one new token, not one each. */
  readonly #renewals = new Map<string, Promise<boolean>>();
  readonly #timers = new Map<string, NodeJS.Timeout>();
  readonly #lifetimeMs: number;
  #closed = false;

  constructor(
    private readonly platform: TursoPlatform,
    private readonly configured: Readonly<Record<string, string>>,
    private readonly expiration: string,
    private readonly clock: () => number = Date.now,
  ) {
    const lifetime = parseTokenLifetime(expiration);
    if (lifetime === undefined) throw new SiloError('CONFIG_INVALID', `SILO_TURSO_TOKEN_EXPIRATION must be a duration such as 1d, 12h or 2w1d30m; got "${expiration}".`);
    this.#lifetimeMs = lifetime;
  }

  /** Checks each group exists, gets its tokens, and returns each group's locations (for the residency check). */
  async start(groups: readonly string[]): Promise<TursoGroupInfo[]> {
    return Promise.all(
      groups.map(async (group) => {
        const info = await this.platform.getGroup(group);
        const configured = this.configured[group];
        this.#full.set(group, configured !== undefined ? { token: configured, expiresAt: undefined } : await this.#mint(group, 'full'));
        this.#read.set(group, await this.#mint(group, 'read'));
        return info;
      }),
    );
  }

  get(group: string, access: TokenAccess): string {
    const held = (access === 'read' ? this.#read : this.#full).get(group);
    if (!held) {
      throw new SiloError('CONFIG_INVALID', `Turso group "${group}" is not configured in SILO_TURSO_GROUPS, so there is no token for it.`);
    }
    // A timer that ran late (a suspended machine): renew now; the old token serves until then.
    if (held.expiresAt !== undefined && this.clock() >= this.#renewAt(held.expiresAt)) void this.renew(group, held.token).catch(() => undefined);
    return held.token;
  }

  /** When the token held now for the group stops being accepted; undefined for a configured one. */
  expiresAt(group: string, access: TokenAccess): number | undefined {
    return (access === 'read' ? this.#read : this.#full).get(group)?.expiresAt;
  }

  /**
   * After Turso refused `stale` (the group's tokens were rotated, or it expired), or when it is
   * near its end, mints a new token of the same kind, once for every request that saw it. A
   * token given in SILO_TURSO_GROUP_TOKENS is the operator's to replace: never swapped silently.
   */
  renew(group: string, stale: string): Promise<boolean> {
    const access: TokenAccess = this.#read.get(group)?.token === stale ? 'read' : 'full';
    const tokens = access === 'read' ? this.#read : this.#full;
    if (tokens.get(group)?.token !== stale) return Promise.resolve(true);
    if (access === 'full' && this.configured[group] !== undefined) return Promise.resolve(false);
    const key = `${group}:${access}`;
    let renewal = this.#renewals.get(key);
    if (!renewal) {
      renewal = this.#mint(group, access)
        .then((held) => {
          tokens.set(group, held);
          return true;
        })
        .finally(() => this.#renewals.delete(key));
      this.#renewals.set(key, renewal);
    }
    return renewal;
  }

  close(): void {
    this.#closed = true;
    for (const timer of this.#timers.values()) clearTimeout(timer);
    this.#timers.clear();
  }

  async #mint(group: string, access: TokenAccess): Promise<HeldToken> {
    const mintedAt = this.clock();
    const token = await this.platform.mintGroupToken(group, access === 'read' ? 'read-only' : 'full-access', this.expiration);
    const held = { token, expiresAt: mintedAt + this.#lifetimeMs };
    this.#schedule(group, access, held);
    return held;
  }

  /** Renewal once 80% of the lifetime has passed: a day's token is replaced after ~19 h. */
  #renewAt(expiresAt: number): number {
    return expiresAt - Math.max(this.#lifetimeMs * 0.2, 1_000);
  }

  #schedule(group: string, access: TokenAccess, held: HeldToken): void {
    if (this.#closed || held.expiresAt === undefined) return;
    const key = `${group}:${access}`;
    clearTimeout(this.#timers.get(key));
    // setTimeout holds at most ~24.8 days; a longer wait is cut, and re-armed when it fires.
    const wait = Math.min(Math.max(this.#renewAt(held.expiresAt) - this.clock(), 0), 2 ** 31 - 1);
    const timer = setTimeout(() => {
      this.#timers.delete(key);
      const current = (access === 'read' ? this.#read : this.#full).get(group);
      if (current?.token !== held.token) return;
      if (current.expiresAt !== undefined && this.clock() < this.#renewAt(current.expiresAt)) return this.#schedule(group, access, current);
      // A failed renewal is retried on the next use (get) or refusal (401).
      void this.renew(group, held.token).catch(() => undefined);
    }, wait);
    timer.unref();
    this.#timers.set(key, timer);
  }
}
