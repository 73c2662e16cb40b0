import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silo, tempDir } from './helpers';

/** Security finding 3 from the terminal: SILO_INSTANCE_MAX_BYTES holds in a separate `silo` process, and says what to do. */
describe('silo and the instance size cap', () => {
  let dir: string;
  let cleanup: () => void;
  const env = { SILO_INSTANCE_MAX_BYTES: String(512 * 1024) };
  const run = (...args: string[]) => silo(dir, args, { env });

  beforeAll(() => {
    ({ dir, cleanup } = tempDir());
  });
  afterAll(() => cleanup());

  it('a console write past the cap exits 1 with SIZE_LIMIT_EXCEEDED naming the instance, the cap and the setting', async () => {
    expect((await run('create', 'acme', '--jurisdiction', 'eu')).code).toBe(0);
    expect((await run('query', 'acme', 'CREATE TABLE filler (body TEXT)', '--write')).code).toBe(0);
    const fill = 'WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 150) INSERT INTO filler SELECT hex(randomblob(1000)) FROM n';
    let refused: { code: number | null; stderr: string } | undefined;
    for (let attempt = 0; attempt < 10 && !refused; attempt++) {
      const result = await run('query', 'acme', fill, '--write');
      if (result.code !== 0) refused = result;
    }
    expect(refused?.code).toBe(1);
    expect(refused?.stderr).toMatch(/Instance "acme" has reached its size limit of 512 KB \(SILO_INSTANCE_MAX_BYTES\)/);

    // Without the cap (0), the same fleet takes the write: the limit is the setting, not the file.
    const uncapped = await silo(dir, ['query', 'acme', fill, '--write'], { env: { SILO_INSTANCE_MAX_BYTES: '0' } });
    expect(uncapped.code, uncapped.stderr).toBe(0);
  });
});
