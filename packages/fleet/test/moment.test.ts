import { describe, expect, it } from 'vitest';
import { forSurface, parseMoment } from '../src/format';

const NOW = Date.UTC(2026, 10, 27, 12, 0, 0);

describe('parseMoment: the one rule for typed moments (CLI --at, admin restore form)', () => {
  it('honours an offset, and reads a bare date-time in UTC', () => {
    expect(parseMoment('2026-11-27T15:04:05Z')).toBe(Date.UTC(2026, 10, 27, 15, 4, 5));
    expect(parseMoment('2026-11-27T16:04:05+01:00')).toBe(Date.UTC(2026, 10, 27, 15, 4, 5));
    expect(parseMoment('2026-11-27T10:04-0500')).toBe(Date.UTC(2026, 10, 27, 15, 4));
    // Never the machine's zone: the same answer whatever TZ the process runs in.
    expect(parseMoment('2026-11-27 15:04')).toBe(Date.UTC(2026, 10, 27, 15, 4));
    expect(parseMoment('2026-11-27T15:04:05.250')).toBe(Date.UTC(2026, 10, 27, 15, 4, 5, 250));
    expect(parseMoment('2026-11-27')).toBe(Date.UTC(2026, 10, 27));
  });

  it('takes spans ago, now and epoch milliseconds', () => {
    expect(parseMoment('now', NOW)).toBe(NOW);
    expect(parseMoment('90s', NOW)).toBe(NOW - 90_000);
    expect(parseMoment('15m', NOW)).toBe(NOW - 15 * 60_000);
    expect(parseMoment('2h ago', NOW)).toBe(NOW - 2 * 3_600_000);
    expect(parseMoment('1.5d', NOW)).toBe(NOW - 1.5 * 86_400_000);
    expect(parseMoment('1796286064340')).toBe(1796286064340);
  });

  it('refuses what is none of those, including days that do not exist', () => {
    for (const text of ['yesterday', '2026-02-31T00:00Z', '2026-13-01', '15:04', '2026', '5 minutes', '']) {
      expect(parseMoment(text, NOW), text).toBeNaN();
    }
  });
});

describe('forSurface: remedies worded per surface', () => {
  const message = 'SQLite reports that this statement would change the database, and this query is read-only. Switch to write mode to change data (writes are audited).';

  it('words the write-mode switch as a flag in the CLI, and keeps the console wording', () => {
    expect(forSurface(message, 'cli')).toContain('Pass --write to change data');
    expect(forSurface(message, 'cli')).not.toMatch(/write mode/);
    expect(forSurface(message, 'console')).toBe(message);
    expect(forSurface('EXPLAIN runs nothing: run it in write mode.', 'cli')).toBe('EXPLAIN runs nothing: run it with --write.');
  });
});
