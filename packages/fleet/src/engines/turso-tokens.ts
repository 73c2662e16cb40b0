import { SiloError } from '../errors';
import type { TursoPlatform } from './turso-platform';

export type TokenAccess = 'full' | 'read';

/**
 * Group tokens, per group: full access (configured, or minted at start-up) for the apps, and
 * read-only (always minted) for the SQL console and exports. In memory only.
 */
export class GroupTokens {
  readonly #full = new Map<string, string>();
  readonly #read = new Map<string, string>();
  /** Renewals in flight, so a burst of refused requests mints one new token, not one each. */
  readonly #renewals = new Map<string, Promise<boolean>>();

  constructor(
    private readonly platform: TursoPlatform,
    private readonly configured: Readonly<Record<string, string>>,
  ) {}

  /** Checks each group exists and gets its tokens. */
  async start(groups: readonly string[]): Promise<void> {
    await Promise.all(
      groups.map(async (group) => {
        await this.platform.assertGroup(group);
        this.#full.set(group, this.configured[group] ?? (await this.platform.mintGroupToken(group, 'full-access')));
        this.#read.set(group, await this.platform.mintGroupToken(group, 'read-only'));
      }),
    );
  }

  get(group: string, access: TokenAccess): string {
    const token = (access === 'read' ? this.#read : this.#full).get(group);
    if (!token) {
      throw new SiloError('CONFIG_INVALID', `Turso group "${group}" is not configured in SILO_TURSO_GROUPS, so there is no token for it.`);
    }
    return token;
  }

  /**
   * After Turso refused `stale` (the group's tokens were rotated), mints a new token of the
   * same kind, once for every request that saw the refusal. A token given in
   * SILO_TURSO_GROUP_TOKENS is the operator's to replace: it is never swapped silently.
   */
  renew(group: string, stale: string): Promise<boolean> {
    const access: TokenAccess = this.#read.get(group) === stale ? 'read' : 'full';
    const tokens = access === 'read' ? this.#read : this.#full;
    if (tokens.get(group) !== stale) return Promise.resolve(true);
    if (access === 'full' && this.configured[group] !== undefined) return Promise.resolve(false);
    const key = `${group}:${access}`;
    let renewal = this.#renewals.get(key);
    if (!renewal) {
      renewal = this.platform
        .mintGroupToken(group, access === 'read' ? 'read-only' : 'full-access')
        .then((token) => {
          tokens.set(group, token);
          return true;
        })
        .finally(() => this.#renewals.delete(key));
      this.#renewals.set(key, renewal);
    }
    return renewal;
  }
}
