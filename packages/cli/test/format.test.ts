import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { InvalidArgumentError } from 'commander';
import { describe, expect, it } from 'vitest';
import type { InstanceInfo } from '@silo/fleet';
import { csvField, csvLine, formatDuration, toCsv } from '@silo/fleet/format';
import { metricText, pageFooter, renderInstanceTable, schemaText } from '../src/format/instances';
import { columnAligns, combineResults } from '../src/format/results';
import { colorEnabled, styleFor } from '../src/format/style';
import { renderPairs, renderTable } from '../src/format/table';
import { terminalSafe } from '../src/format/terminal-safe';
import { formatRelative } from '../src/format/time';
import { cellText, findingsText, jsonValue, rowObjects, toJson, uniqueColumnNames } from '../src/format/values';
import { integerOption, parseSort, parseStates, parseTime } from '../src/options';
import { capLines, exitCodeFor, CliFailure, EXIT, UsageError } from '../src/errors';
import { SiloError } from '@silo/fleet';

describe('the shared format module', () => {
  it('imports nothing, so the admin can bundle it for the browser', () => {
    const source = readFileSync(fileURLToPath(import.meta.resolve('@silo/fleet/format')), 'utf8');
    expect(source).not.toMatch(/^\s*(import|export [^;]* from)\b|\brequire\(|\bimport\(/m);
    expect(source).not.toMatch(/\bBuffer\b|\bprocess\./);
  });
});

describe('CSV escaping', () => {
  it('leaves plain fields alone', () => {
    expect(csvField('hello')).toBe('hello');
    expect(csvField(42)).toBe('42');
    expect(csvField(1.5)).toBe('1.5');
  });

  it('quotes commas, quotes and line breaks, doubling inner quotes', () => {
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('two\nlines')).toBe('"two\nlines"');
    expect(csvField('cr\rhere')).toBe('"cr\rhere"');
  });

  it('quotes leading and trailing spaces so they survive spreadsheets', () => {
    expect(csvField(' padded')).toBe('" padded"');
    expect(csvField('padded ')).toBe('"padded "');
  });

  it('writes NULL as an empty field and blobs as base64', () => {
    expect(csvField(null)).toBe('');
    expect(csvField(new Uint8Array([1, 2, 3]))).toBe('AQID');
    expect(csvField(12345678901234567890n)).toBe('12345678901234567890');
    expect(csvField(new Uint8Array(100_000).fill(255))).toBe('/'.repeat(133_332) + '/w==');
  });

  it('neutralises text a spreadsheet would run as a formula (OWASP CSV injection)', () => {
    expect(csvField('=1+2')).toBe("'=1+2");
    expect(csvField('+1')).toBe("'+1");
    expect(csvField('-2+3')).toBe("'-2+3");
    expect(csvField('@SUM(A1)')).toBe("'@SUM(A1)");
    expect(csvField('\t=cmd')).toBe("'\t=cmd");
    expect(csvField('\r=cmd')).toBe(`"'\r=cmd"`);
    expect(csvField('=HYPERLINK("http://x","y")')).toBe(`"'=HYPERLINK(""http://x"",""y"")"`);
    expect(csvField('=a,b')).toBe(`"'=a,b"`);
  });

  it('leaves numbers and formula characters inside text alone', () => {
    expect(csvField(-5)).toBe('-5');
    expect(csvField(-2n)).toBe('-2');
    expect(csvField('a=b')).toBe('a=b');
    expect(csvField('x-1')).toBe('x-1');
  });

  it('builds lines and documents', () => {
    expect(csvLine(['a', null, 'b,c'])).toBe('a,,"b,c"\n');
    expect(csvLine(['a', '=b'], '\r\n')).toBe("a,'=b\r\n");
    expect(toCsv(['instance', 'title'], [['acme', 'Buy milk, eggs'], ['globex', null]])).toBe(
      'instance,title\nacme,"Buy milk, eggs"\nglobex,\n',
    );
  });
});

describe('relative time', () => {
  const now = Date.UTC(2025, 0, 31, 12, 0, 0);
  const ago = (ms: number): string => formatRelative(now - ms, now);

  it('reads like a person would say it', () => {
    expect(ago(0)).toBe('just now');
    expect(ago(30_000)).toBe('just now');
    expect(ago(50_000)).toBe('1 min ago');
    expect(ago(5 * 60_000)).toBe('5 min ago');
    expect(ago(3 * 3_600_000)).toBe('3 h ago');
    expect(ago(2 * 86_400_000)).toBe('2 d ago');
    expect(ago(95 * 86_400_000)).toBe('3 mo ago');
    expect(ago(800 * 86_400_000)).toBe('2 y ago');
  });

  it('handles the future and missing times', () => {
    expect(formatRelative(now + 10 * 60_000, now)).toBe('in 10 min');
    expect(formatRelative(null, now)).toBe('never');
    expect(formatRelative(undefined, now)).toBe('never');
  });

  it('formats durations', () => {
    expect(formatDuration(12.4)).toBe('12 ms');
    expect(formatDuration(1_500)).toBe('1.5 s');
    expect(formatDuration(42_000)).toBe('42 s');
    expect(formatDuration(125_000)).toBe('2 min 5 s');
    expect(formatDuration(120_000)).toBe('2 min');
    expect(formatDuration(12_340)).toBe('12 s');
    expect(formatDuration(-1)).toBe('—');
    expect(formatDuration(Number.NaN)).toBe('—');
  });
});

describe('values for tables and JSON', () => {
  it('shortens cells and spells out NULL and blobs', () => {
    expect(cellText(null)).toBe('NULL');
    expect(cellText(new Uint8Array(12))).toBe('<blob 12 bytes>');
    expect(cellText('a\nb')).toBe('a↵b');
    const long = cellText('x'.repeat(200));
    expect(long).toHaveLength(80);
    expect(long.endsWith('…')).toBe(true);
  });

  it('keeps JSON safe for big integers and blobs', () => {
    expect(jsonValue(5n)).toBe(5);
    expect(jsonValue(2n ** 60n)).toBe('1152921504606846976');
    expect(jsonValue(new Uint8Array([255]))).toEqual({ base64: '/w==' });
    expect(toJson({ n: 2n ** 60n })).toContain('"1152921504606846976"');
  });

  it('makes duplicate column names unique for row objects', () => {
    expect(uniqueColumnNames(['1', '1', 'a', '1'])).toEqual(['1', '1_2', 'a', '1_3']);
    expect(rowObjects(['id', 'id'], [[1, 2]])).toEqual([{ id: 1, id_2: 2 }]);
  });
});

describe('combining per-instance results', () => {
  it('puts the instance first and sorts instances by name', () => {
    const combined = combineResults([
      { instance: 'umbrella', columns: ['n'], rows: [[6]] },
      { instance: 'acme', columns: ['n'], rows: [[5], [7]] },
    ]);
    expect(combined.columns).toEqual(['instance', 'n']);
    expect(combined.rows).toEqual([['acme', 5], ['acme', 7], ['umbrella', 6]]);
  });

  it('takes the union of columns when instances differ, with NULL for what is missing', () => {
    const combined = combineResults([
      { instance: 'a', columns: ['id', 'title'], rows: [[1, 'x']] },
      { instance: 'b', columns: ['id', 'title', 'tag'], rows: [[2, 'y', 'red']] },
    ]);
    expect(combined.columns).toEqual(['instance', 'id', 'title', 'tag']);
    expect(combined.rows).toEqual([['a', 1, 'x', null], ['b', 2, 'y', 'red']]);
  });

  it('aligns numeric columns right', () => {
    expect(columnAligns(3, [['a', 1, null], ['b', null, 'x']])).toEqual(['left', 'right', 'left']);
  });
});

describe('tables', () => {
  const instance: InstanceInfo = {
    id: 'id-1',
    name: 'acme',
    displayName: 'Acme',
    state: 'ready',
    jurisdiction: 'eu',
    region: 'eu-west',
    engine: 'local',
    dbUrl: 'local:eu-west/3f/acme.db',
    schemaVersion: 1,
    sizeBytes: 49_152,
    clonedFrom: { id: 'id-0', name: 'origin' },
    createdAt: Date.UTC(2025, 0, 1),
    updatedAt: Date.UTC(2025, 0, 1),
    lastActiveAt: null,
    deletedAt: null,
    error: null,
    metrics: { todos: 5, completed: 2 },
  };

  it('renders the instance columns', () => {
    const metrics = [
      { name: 'todos', label: 'TODOs', format: 'count' },
      { name: 'completed', label: 'Done', format: 'count' },
    ] as const;
    const text = renderInstanceTable([instance], 2, { metrics });
    for (const expected of ['name', 'cloned from', 'TODOs', 'Done', 'acme', 'eu-west', '48 KB', 'never', 'origin', '1 (behind)']) {
      expect(text).toContain(expected);
    }
  });

  it('has a column per configured metric only', () => {
    expect(renderInstanceTable([instance], 2)).not.toContain('TODOs');
  });

  it('formats schema and metric cells', () => {
    expect(schemaText(2, 2)).toBe('2');
    expect(schemaText(1, 2)).toBe('1 (behind)');
    expect(metricText({}, { name: 'todos', label: 'TODOs', format: 'count' })).toBe('—');
    expect(metricText({ todos: 1234 }, { name: 'todos', label: 'TODOs', format: 'count' })).toBe('1,234');
    expect(metricText({ bytes: 49_152 }, { name: 'bytes', label: 'Files', format: 'bytes' })).toBe('48 KB');
  });

  it('writes the paging footer', () => {
    expect(pageFooter(0, 50, 1_234)).toBe('showing 1–50 of 1,234');
    expect(pageFooter(50, 50, 1_234)).toBe('showing 51–100 of 1,234');
    expect(pageFooter(0, 0, 0)).toBe('no instances match');
  });

  it('renders plain tables without colour codes', () => {
    // eslint-disable-next-line no-control-regex
    expect(renderTable(['a'], [['1']])).not.toMatch(/\u001b\[/);
  });

  it('escapes cells before measuring them, keeping our colour codes only when colour is on', () => {
    const colour = styleFor({ isTTY: true, hasColors: () => true }, {});
    for (const style of [undefined, colour]) {
      const text = renderTable(['v\x07', 'w'], [['a\x1b[2Jb\tc', style ? style.dim('NULL') : 'NULL'], ['x', 'y']], style ? { style } : {});
      // eslint-disable-next-line no-control-regex -- looking for exactly these bytes is the point
      expect(text).not.toMatch(/\x1b\[2J|\x07|\t/);
      expect(text).toContain('a\\u001b[2Jb\\u0009c');
      // eslint-disable-next-line no-control-regex -- our colour codes, which take no columns
      const widths = text.split('\n').map((line) => line.replace(/\x1b\[\d+m/g, '').length);
      expect(new Set(widths).size, text).toBe(1);
    }
  });

  it('keeps colour off for pipes and NO_COLOR', () => {
    expect(colorEnabled({ isTTY: false }, {})).toBe(false);
    expect(colorEnabled({ isTTY: true, hasColors: () => true }, { NO_COLOR: '1' })).toBe(false);
    expect(colorEnabled({ isTTY: true, hasColors: () => true }, {})).toBe(true);
  });
});

describe('option parsing and exit codes', () => {
  it('rejects bad numbers, states and sort keys as usage errors', () => {
    expect(integerOption(1, 10)('5')).toBe(5);
    expect(() => integerOption(1, 10)('0')).toThrow(InvalidArgumentError);
    expect(() => integerOption(1)('1.5')).toThrow(InvalidArgumentError);
    expect(parseStates('ready,deleted')).toEqual(['ready', 'deleted']);
    expect(() => parseStates('gone')).toThrow(InvalidArgumentError);
    expect(parseSort('metric:todos')).toBe('metric:todos');
    expect(() => parseSort('colour')).toThrow(InvalidArgumentError);
  });

  it('takes moments from 1970 to now (and a few minutes on), and says which moment any other is', () => {
    const now = Date.UTC(2026, 10, 27, 15, 0, 0);
    expect(parseTime('1h', now)).toBe(now - 3_600_000);
    expect(parseTime('1970-01-01', now)).toBe(0);
    expect(parseTime(String(now + 60_000), now)).toBe(now + 60_000);
    expect(() => parseTime('12345678901234567890', now)).toThrow(/past every date/);
    expect(() => parseTime('99999999d', now)).toThrow(/before 1970/);
    expect(() => parseTime('2026-11-27T16:00', now)).toThrow('That is 2026-11-27T16:00:00.000Z, in the future (times without an offset are UTC; it is 2026-11-27T15:00:00.000Z now)');
    expect(() => parseTime('yesterday', now)).toThrow(InvalidArgumentError);
  });

  it('cuts a long error to its first lines and its last, saying how many were left out', () => {
    const short = 'No silo.config.ts here.\nCreate one:\n  a\n  b\nor name one.';
    expect(capLines(short)).toBe(short);
    const pages = Array.from({ length: 70 }, (_, index) => `Page ${index + 14}: never used`);
    const capped = capLines(`Refused: check failed: *** in database main ***\n${pages.join('\n')}. Nothing was created.`).split('\n');
    expect(capped).toEqual([
      'Refused: check failed: *** in database main ***',
      'Page 14: never used',
      'Page 15: never used',
      'Page 16: never used',
      '… and 66 more lines (--json prints the whole message) …',
      'Page 83: never used. Nothing was created.',
    ]);
  });

  it('lists integrity findings a line each, however SQLite grouped them into rows', () => {
    const row = '*** in database main ***\nPage 14: never used\nPage 15: never used\nPage 16: never used\nPage 17: never used';
    expect(findingsText([row, 'row 3 missing from index t_x'], 3)).toBe('Page 14: never used; Page 15: never used; Page 16: never used; and 2 more');
    expect(findingsText(['row 3 missing from index t_x'], 3)).toBe('row 3 missing from index t_x');
  });

  it('maps errors to exit codes', () => {
    expect(exitCodeFor(new SiloError('INSTANCE_NOT_FOUND', 'x', { details: { name: 'x' } }))).toBe(3);
    // A name no instance can have is a bad argument, whichever command got it.
    expect(exitCodeFor(new SiloError('INVALID_NAME', 'x'))).toBe(2);
    expect(exitCodeFor(new CliFailure('x', EXIT.interrupted, 'INTERRUPTED'))).toBe(130);
    expect(exitCodeFor(new UsageError('x'))).toBe(2);
    expect(exitCodeFor(new CliFailure('x'))).toBe(1);
    expect(exitCodeFor(new Error('boom'))).toBe(1);
  });
});

describe('terminal-safe output (security finding 9)', () => {
  it('escapes controls, C1 and bidi/invisible format characters, keeping newlines, tabs and emoji joiners', () => {
    expect(terminalSafe('a\x1b[2Jb\rc\u202ed\u2066e\x9bf\u200bg\x7f\n\th👩‍💻')).toBe(
      'a\\u001b[2Jb\\u000dc\\u202ed\\u2066e\\u009bf\\u200bg\\u007f\n\th👩‍💻',
    );
    expect(terminalSafe('tag\u{E0041}')).toBe('tag\\udb40\\udc41');
  });

  it('keeps only our own colour codes, and only when the stream has colour on', () => {
    const styled = '\x1b[1mname\x1b[22m \x1b[31merror\x1b[39m \x1b[8mhidden\x1b[0m';
    expect(terminalSafe(styled, { keepStyles: true })).toBe('\x1b[1mname\x1b[22m \x1b[31merror\x1b[39m \\u001b[8mhidden\\u001b[0m');
    expect(terminalSafe(styled)).not.toContain('\x1b');
  });

  it('keeps JSON valid and lossless', () => {
    const value = { name: 'x\u202e\x85y', nested: ['\x1b'] };
    expect(JSON.parse(terminalSafe(JSON.stringify(value)))).toEqual(value);
  });

  it('shows line breaks inside one-line fields instead of following them', () => {
    expect(renderPairs([['display name', 'a\nstate  ready']])).toBe('  display name  a\\u000astate  ready');
  });
});
