import path from 'node:path';
import { defineTenantSchema, openFleet } from '@silo/fleet';
import { TursoEngine, resolveTursoSettings } from '@silo/fleet/internal';
import { defineEngineContract, type EngineFactory } from '../../fleet/test/engine-contract';
import { regionsIn } from '../../fleet/test/helpers';
import { createServer } from '../src/server';
import { startPlatformShim } from './turso-platform-shim';

/**
 * A Turso user's smoke (issue #15): the engine contract's data-plane cases, run by the Turso
 * engine against `silo serve` as if it were a Turso organization. The engine is Silo's own
 * Turso client (Platform API for the control plane, @libsql/client with one group token per
 * group for the data plane); behind a Platform API shim (turso-platform-shim.ts) its databases
 * are instances of a Silo fleet, its group tokens jurisdiction tokens, and every statement goes
 * through silo serve's libSQL endpoint, routed by path (`/db/<name>/`).
 *
 * Skipped, because the shim does not fake them (docs/libsql.md): point-in-time branches, usage
 * figures, the plan quota, and moving a database's bytes whole (`importFile` uploads,
 * `snapshot` exports). Every other case runs: capabilities, placement, create (servable on
 * return, listed, tenants apart), connections (batches, SQL errors), branches (`clone`, a Silo
 * clone behind the shim), remove, migrate, and isolated queries (read-only by the server,
 * statements refused, limits, the runaway stopped at the server while others keep answering).
 *
 * The fleet's tenant schema is empty on purpose: the engine applies the contract's schema itself
 * through the endpoint, keeping its version in its own table (`_silo_schema`, version-table.ts),
 * as on Turso. Silo's check (`fleet.open`: the catalog's version against the schema's latest)
 * passes at 0 whatever the engine does to the file, so it never answers SCHEMA_BEHIND.
 */
const TURSO_USER_SCHEMA = defineTenantSchema({ id: 'turso-user', migrations: [] });

const siloServe: EngineFactory = {
  id: 'silo-serve',
  label: 'turso engine on silo serve (Platform API shim)',
  async setUp(dir) {
    const dataDir = path.join(dir, 'silo');
    const fleet = await openFleet({ schema: TURSO_USER_SCHEMA, dataDir });
    const stack: (() => Promise<void>)[] = [() => fleet.close()];
    const dispose = async (): Promise<void> => {
      for (const close of stack.reverse()) await close();
    };
    try {
      // The contract gives every query 5 s, bursts of 20 and 40 included, on a machine that may
      // be busy. Statements stop at 2 s (and wait 1 s at most for the write lock): a request's
      // limit runs from when it is handed to the host, so each of a burst of 40 queued there has
      // room for its wait. A runaway's host process is killed then, and the requests queued
      // behind it start over on its replacement (silo serve's defaults, 5 s + 5 s, would keep
      // them 10 s). One host process, started by the create before any case, so that no other
      // start-up (a second or more from sources) lands inside a burst.
      const server = await createServer({ fleet, port: 0, shutdownTimeoutMs: 0, tokenSecretDir: dataDir, libsql: { statementTimeoutMs: 2_000, busyTimeoutMs: 1_000, hostProcesses: 1 } });
      stack.push(async () => {
        await server.close();
      });
      const shim = await startPlatformShim({ fleet, serveUrl: server.url, tokenSecretDir: dataDir, groups: { 'silo-eu': 'eu', 'silo-us': 'us' } });
      stack.push(() => shim.close());
      const regions = regionsIn(path.join(dir, 'engine'));
      const engine = await TursoEngine.open({
        settings: resolveTursoSettings({
          org: shim.org,
          apiToken: shim.apiToken,
          apiUrl: shim.apiUrl,
          groups: { eu: 'silo-eu', us: 'silo-us' },
          tls: false,
          // The shim reports a group's locations as its jurisdiction's Silo regions.
          locations: { eu: ['eu-*'], us: ['us-*'] },
        }),
        regions,
        warn: () => undefined,
      });
      stack.push(() => engine.close());
      return { engine, regions, dispose };
    } catch (error) {
      await dispose();
      throw error;
    }
  },
};

defineEngineContract([siloServe], { without: ['point-in-time', 'usage', 'quota', 'file-transfer'] });
