import { InvalidArgumentError } from 'commander';
import { SORT_KEYS, type InstanceState, type SortKey } from '@silo/fleet';

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

const UNIT_MS = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/**
 * A moment for `--at`: an ISO 8601 date-time ("2026-11-27T15:04:05Z", "2026-11-27 15:04" in
 * local time), milliseconds since the epoch, "now", or a span ago ("90s", "15m", "2h", "3d").
 */
export function parseTime(value: string, now: number = Date.now()): number {
  const text = value.trim();
  if (text === 'now') return now;
  const span = /^-?(\d+(?:\.\d+)?)\s*(s|m|h|d)(?:\s+ago)?$/.exec(text);
  if (span) return now - Number(span[1]) * UNIT_MS[span[2] as keyof typeof UNIT_MS];
  if (/^\d{12,}$/.test(text)) return Number(text);
  const parsed = /^\d{4}-\d{2}-\d{2}/.test(text) ? Date.parse(text.replace(' ', 'T')) : Number.NaN;
  if (!Number.isFinite(parsed)) {
    throw new InvalidArgumentError('Use an ISO date-time (2026-11-27T15:04:05Z, or 2026-11-27 15:04 local), epoch milliseconds, "now", or a span ago such as 15m, 2h, 3d.');
  }
  return parsed;
}
