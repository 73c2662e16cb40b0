import { describe, expect, it } from 'vitest';
import { processOwner, ownerText } from '../src/format/owner';
import { fitColumns, renderTable } from '../src/format/table';
import { splitStatements } from '@silo/fleet/internal';
import { isComplete } from '../src/sql-script';
import { editDistance, similarNames } from '../src/suggest';

describe('splitStatements', () => {
  it('splits at the semicolons SQLite ends statements at', () => {
    expect(splitStatements("SELECT 'a;b'; SELECT \"c;\" -- d;\n; /* e; */ SELECT 3")).toEqual(["SELECT 'a;b'", 'SELECT "c;" -- d;', '/* e; */ SELECT 3']);
    const trigger = 'CREATE TRIGGER t AFTER INSERT ON x BEGIN UPDATE y SET n = n + 1; DELETE FROM z; END';
    expect(splitStatements(`${trigger}; SELECT 1;`)).toEqual([trigger, 'SELECT 1']);
    expect(splitStatements(' ;\n-- only a comment\n')).toEqual([]);
  });

  it('knows when a typed statement is complete', () => {
    expect(isComplete('SELECT 1;')).toBe(true);
    expect(isComplete('SELECT 1')).toBe(false);
    expect(isComplete("SELECT 'a;\n")).toBe(false);
    expect(isComplete('CREATE TRIGGER t AFTER INSERT ON x BEGIN DELETE FROM z;')).toBe(false);
  });
});

describe('did you mean', () => {
  it('finds near names, closest first', () => {
    expect(editDistance('acme', 'acne')).toBe(1);
    expect(similarNames('acm', ['acme', 'globex', 'acme-staging'])).toEqual(['acme', 'acme-staging']);
    expect(similarNames('glbex', ['acme', 'globex'])).toEqual(['globex']);
    expect(similarNames('zzzz', ['acme', 'globex'])).toEqual([]);
  });
});

describe('tables fit the terminal', () => {
  const head = ['name', 'description', 'size'];
  const rows = [['acme', 'a long description that does not fit on a narrow terminal at all', '12 KB']];

  it('wraps the widest column first, then drops the last columns', () => {
    expect(fitColumns(head, rows, 200)).toEqual({ kept: 3 });
    const wrapped = fitColumns(head, rows, 50);
    expect(wrapped.kept).toBe(3);
    expect((wrapped.widths ?? []).reduce((sum, width) => sum + width, 0) + 4).toBeLessThanOrEqual(50);
    expect(fitColumns(head, rows, 22).kept).toBeLessThan(3);
    for (const width of [30, 50, 80]) {
      const lines = renderTable(head, rows, { width }).split('\n');
      expect(Math.max(...lines.filter((line) => /^[│┌└]/.test(line)).map((line) => line.length)), `width ${width}`).toBeLessThanOrEqual(width);
    }
  });
});

describe('the scheduler owner', () => {
  it('reads as host and pid', () => {
    expect(processOwner('build-7/5f0c-boot/4242.123456')).toEqual({ host: 'build-7', pid: 4242 });
    expect(ownerText('build-7/5f0c-boot/4242.123456')).toBe('build-7 (pid 4242)');
    expect(ownerText('something-else')).toBe('something-else');
  });
});
