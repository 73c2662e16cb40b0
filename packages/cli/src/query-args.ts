import { InvalidArgumentError, Option } from 'commander';
import type { SqlArgs, SqlValue } from '@silo/fleet';

/**
 * `--arg` and `--arg-json`: a statement's parameters, as the HTTP API's `args` takes them.
 *
 * - `--arg <value>` is text; `--arg-json <json>` is a JSON number, string or null (SQLite has
 *   no booleans): `3` binds an INTEGER (exactly, past 2^53 too), `2.5` a REAL. SQLite
 *   converts text to a number for a column of numeric affinity, so `--arg` is enough to compare
 *   with or store into such a column; `--arg-json` is for when the type itself matters.
 * - Given as `:name=…` (or `@name=…`, `$name=…`), a value binds to that named parameter;
 *   otherwise values bind in the order given to `?` (or `?1`, `?2`…). The two do not mix,
 *   as the API's `args` is either an array or an object. Text that itself looks like
 *   `:name=…` goes by position as a JSON string: `--arg-json '":a=b"'`.
 */
export class StatementArgs {
  readonly #positional: SqlValue[] = [];
  readonly #named = new Map<string, SqlValue>();

  /** What the fleet's `query` takes: undefined when no argument was given. */
  get sqlArgs(): SqlArgs | undefined {
    if (this.#named.size > 0) return Object.fromEntries(this.#named);
    return this.#positional.length > 0 ? [...this.#positional] : undefined;
  }

  add(raw: string, typed: boolean): this {
    const named = NAMED.exec(raw);
    if (named) {
      const [, name = '', text = ''] = named;
      if (this.#positional.length > 0) throw mixed();
      if (this.#named.has(name)) throw new InvalidArgumentError(`The parameter :${name} is given twice.`);
      this.#named.set(name, typed ? jsonValue(text) : text);
      return this;
    }
    if (this.#named.size > 0) throw mixed();
    this.#positional.push(typed ? jsonValue(raw) : raw);
    return this;
  }
}

/** A named value: the SQL's prefix, the name (what SQLite and libSQL bind by), `=`, the value. */
const NAMED = /^[:@$]([A-Za-z_][A-Za-z0-9_]*)=([\s\S]*)$/;

const ARG_HELP = "a parameter's value, as text: each binds the next ? (or ?1, ?2…), and :name=value binds :name; repeat for more";
const ARG_JSON_HELP = 'like --arg, with the value as JSON: a number (3 binds an INTEGER, 2.5 a REAL), a "string" or null';

/**
 * `--arg` and `--arg-json` for a command. Both add to `args`, so values keep the order they
 * were typed in even when the two options alternate.
 */
export function argOptions(args: StatementArgs): [Option, Option] {
  return [
    new Option('--arg <value>', ARG_HELP).argParser((value: string) => args.add(value, false)),
    new Option('--arg-json <json>', ARG_JSON_HELP).argParser((value: string) => args.add(value, true)),
  ];
}

function jsonValue(text: string): SqlValue {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new InvalidArgumentError(`Not JSON. Give a number (3, 2.5), a "string" in double quotes, or null; plain text goes with --arg.`);
  }
  if (value === null || typeof value === 'string') return value;
  if (typeof value === 'number') return integerOf(text.trim()) ?? value;
  throw new InvalidArgumentError(`Give a number, a "string" or null: SQLite has no ${Array.isArray(value) ? 'arrays' : typeof value === 'boolean' ? 'booleans (use 1 or 0)' : 'objects'}.`);
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/**
 * An integer literal as a bigint, which SQLite binds as an INTEGER (a JS number is bound as a
 * REAL: `typeof(?)` would say so), and exactly past 2^53, where a double loses digits.
 */
function integerOf(text: string): bigint | undefined {
  if (!/^-?\d+$/.test(text)) return undefined;
  const exact = BigInt(text);
  if (exact < INT64_MIN || exact > INT64_MAX) throw new InvalidArgumentError(`${text} does not fit SQLite's 64-bit integers.`);
  return exact;
}

function mixed(): InvalidArgumentError {
  return new InvalidArgumentError("Give every argument by position or every one by :name=value, not both (as the HTTP API's args: a list or an object).");
}
