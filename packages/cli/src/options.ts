import { InvalidArgumentError } from 'commander';
import { SORT_KEYS, type InstanceState, type SortKey } from '@silo/fleet';
import { MOMENT_FORMATS, parseMoment } from '@silo/fleet/format';

/** Option parsers: a bad value is a commander usage error (exit code 2) before anything runs. */

export function integerOption(min: number, max = Number.MAX_SAFE_INTEGER): (value: string) => number {
  return (value) => {
    const parsed = Number(value);
    if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(parsed) || parsed < min || parsed > max) {
      throw new InvalidArgumentError(
        max === Number.MAX_SAFE_INTEGER ? `Expected a whole number of at least ${min}.` : `Expected a whole number from ${min} to ${max}.`,
      );
    }
    return parsed;
  };
}

export const INSTANCE_STATES: readonly InstanceState[] = ['provisioning', 'ready', 'moving', 'failed', 'deleted'];

/** One state or a comma list: "ready", "deleted,failed". */
export function parseStates(value: string): InstanceState[] {
  const states = value.split(',').map((part) => part.trim()).filter(Boolean);
  const unknown = states.filter((state) => !(INSTANCE_STATES as readonly string[]).includes(state));
  if (states.length === 0 || unknown.length > 0) {
    throw new InvalidArgumentError(`Use one or more of ${INSTANCE_STATES.join(', ')} (comma-separated).`);
  }
  return states as InstanceState[];
}

export function parseSort(value: string): SortKey {
  if ((SORT_KEYS as readonly string[]).includes(value)) return value as SortKey;
  if (/^metric:[A-Za-z0-9_.-]+$/.test(value)) return value as SortKey;
  throw new InvalidArgumentError(`Use one of ${SORT_KEYS.join(', ')}, or metric:<key> (e.g. metric:todos).`);
}

export function parseOutcome(value: string): 'ok' | 'error' {
  if (value === 'ok' || value === 'error') return value;
  throw new InvalidArgumentError('Use "ok" or "error".');
}

/**
 * How far ahead of this machine's clock a moment may be: another machine's clock, where a time
 * may have been copied from, can be a little ahead. Any further is a mistake (a local time
 * read as UTC, a typo in the year), and as `--at` or `--since` it would quietly mean "now".
 */
const FUTURE_SLACK_MS = 5 * 60_000;

/**
 * A moment for `--at` and `--since`, by the rule shared with the admin console (see
 * `parseMoment`), and one that can be meant: from 1970 (epoch milliseconds start there, and
 * no fleet is older) to now. `--since 12345678901234567890` or `--at 99999999d` is a usage
 * error saying which moment it would be, never a query that silently matches nothing or all.
 */
export function parseTime(value: string, now: number = Date.now()): number {
  const at = parseMoment(value, now);
  if (!Number.isFinite(at)) throw new InvalidArgumentError(`Use ${MOMENT_FORMATS}.`);
  if (!Number.isFinite(new Date(at).getTime())) {
    throw new InvalidArgumentError(`That is past every date: epoch milliseconds have 13 digits today (it is ${now} now).`);
  }
  const iso = new Date(at).toISOString();
  if (at < 0) throw new InvalidArgumentError(`That is ${iso}, before 1970: give a moment since then.`);
  if (at > now + FUTURE_SLACK_MS) {
    throw new InvalidArgumentError(`That is ${iso}, in the future (times without an offset are UTC; it is ${new Date(now).toISOString()} now): give a past moment.`);
  }
  return at;
}

/** The help text of every `--at` and `--since`. */
export const AT_HELP = MOMENT_FORMATS;
