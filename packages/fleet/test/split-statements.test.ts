import { describe, expect, it } from 'vitest';
import { splitStatements } from '../src/query/split-statements.mjs';

describe('splitStatements', () => {
  it('splits at the semicolons that end statements only', () => {
    expect(splitStatements("INSERT INTO t VALUES ('a;b'); UPDATE \"x;y\" SET v = 1 -- c;\n; /* ; */ DELETE FROM t;;")).toEqual([
      "INSERT INTO t VALUES ('a;b')",
      'UPDATE "x;y" SET v = 1 -- c;',
      '/* ; */ DELETE FROM t',
    ]);
    expect(splitStatements("SELECT 'it''s; fine'")).toEqual(["SELECT 'it''s; fine'"]);
    expect(splitStatements(' ; -- nothing\n')).toEqual([]);
  });

  it('keeps a trigger body whole, CASE … END inside it too', () => {
    const trigger = `CREATE TEMP TRIGGER t_ins AFTER INSERT ON t BEGIN
      UPDATE t SET v = CASE WHEN NEW.v > 1 THEN 1 ELSE 0 END WHERE id = NEW.id;
      INSERT INTO log VALUES (NEW.id);
    END`;
    expect(splitStatements(`${trigger}; SELECT CASE WHEN 1 THEN 2 END; SELECT 3`)).toEqual([trigger, 'SELECT CASE WHEN 1 THEN 2 END', 'SELECT 3']);
  });
});
