import { describe, expect, it } from 'vitest';
import { tempFleet } from './helpers';

describe('write scripts', () => {
  it('run several statements as one transaction, audited once', async () => {
    const { fleet } = await tempFleet();
    await fleet.create('acme', { jurisdiction: 'eu' });
    const result = await fleet.query(
      'acme',
      "CREATE TABLE tags (name TEXT); INSERT INTO tags VALUES ('a;b'), ('c'); INSERT INTO notes (body) VALUES ('n'); SELECT name FROM tags ORDER BY name",
      undefined,
      { readOnly: false, script: true, actor: 'ops' },
    );
    expect(result).toMatchObject({ columns: ['name'], rows: [['a;b'], ['c']], rowsAffected: 3, statements: 4 });
    expect(fleet.audit({ operation: 'query (write)' }).items).toHaveLength(1);
    expect(fleet.require('acme').metrics).toEqual({ notes: 1 });
  });

  it('roll back every statement when one fails or is refused', async () => {
    const { fleet } = await tempFleet();
    await fleet.create('acme', { jurisdiction: 'eu' });
    const write = (sql: string) => fleet.query('acme', sql, undefined, { readOnly: false, script: true });
    await expect(write("INSERT INTO notes (body) VALUES ('kept?'); INSERT INTO nope VALUES (1)")).rejects.toThrow(/no such table: nope/);
    await expect(write("INSERT INTO notes (body) VALUES ('kept?'); VACUUM")).rejects.toMatchObject({ code: 'STATEMENT_REFUSED' });
    await expect(write("INSERT INTO notes (body) VALUES ('kept?'); COMMIT; DELETE FROM notes")).rejects.toMatchObject({ code: 'STATEMENT_REFUSED' });
    expect((await fleet.query('acme', 'SELECT count(*) AS n FROM notes')).rows).toEqual([[0]]);
    // Read-only queries stay one statement.
    await expect(fleet.query('acme', 'SELECT 1; SELECT 2', undefined, { script: true })).rejects.toThrow(/more than one statement/);
  });
});
