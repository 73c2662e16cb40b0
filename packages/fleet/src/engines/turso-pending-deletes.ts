import { errorMessage } from '../errors';

/**
 * Databases the engine created and must delete again (a create, clone or import that failed
 * half-way). A delete that fails (Turso down, rate-limited past the retries) is recorded here
 * and warned about, then retried by every inventory (`silo reconcile --scan`, `silo doctor`),
 * which reports it as a leftover until it is gone: never a silent leak on a billed account.
 * In memory: after a restart the database is still found, as an orphan, by the same inventory.
 */
export class PendingDeletes {
  readonly #names = new Set<string>();

  constructor(
    private readonly remove: (name: string) => Promise<void>,
    private readonly warn: (message: string) => void,
  ) {}

  async delete(name: string): Promise<void> {
    try {
      await this.remove(name);
      this.#names.delete(name);
    } catch (error) {
      this.record(name, error);
    }
  }

  /** A delete that failed elsewhere (a caller's own clean-up, e.g. a move rolled back): kept for the next inventory. */
  record(name: string, error: unknown): void {
    this.#names.add(name);
    this.warn(
      `Could not delete Turso database "${name}" (${errorMessage(error)}). It is retried by the next \`silo reconcile --scan\` or \`silo doctor\`; until then it counts towards the plan's database quota.`,
    );
  }

  /** Tries every recorded delete again; the ones still failing stay recorded. */
  async retry(): Promise<void> {
    for (const name of [...this.#names]) {
      try {
        await this.remove(name);
        this.#names.delete(name);
      } catch {
        // Still failing: reported as a leftover by inventory.
      }
    }
  }

  forget(name: string): void {
    this.#names.delete(name);
  }

  names(): string[] {
    return [...this.#names];
  }
}
