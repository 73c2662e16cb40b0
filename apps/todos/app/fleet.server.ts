import { loadSiloConfig, openFleet, type Fleet } from '@silo/fleet';
import { loadSecret, onShutdown, remember } from '@silo/web';
import { resourceMiddleware } from '@silo/web/react-router';
import { fleetContext } from './context.server';

/**
 * One fleet per server process, on @silo/web's `remember` (server.ts and the bundled app
 * share it; a dev-server reload does not open a second one), closed by the app server's
 * shutdown hooks.
 */
interface Runtime {
  fleet: Promise<Fleet>;
  /** Set before `fleet` resolves: it lives in the fleet's data folder, which the config names. */
  secret: string | undefined;
}

function runtime(): Runtime {
  return remember('todos.runtime', () => {
    const created: Runtime = { fleet: openConfiguredFleet(() => created), secret: undefined };
    onShutdown(async () => {
      const fleet = await created.fleet;
      await fleet.close();
    });
    return created;
  });
}

/** For the server process and the root middleware; loaders and actions read `fleetContext`. */
export function getFleet(): Promise<Fleet> {
  return runtime().fleet;
}

/** Root middleware: every loader, action and middleware below reads the fleet from `fleetContext`. */
export const fleetMiddleware = resourceMiddleware(fleetContext, getFleet);

/** The CSRF secret; requests reach it only after the root middleware has the fleet. */
export function serverSecret(): string {
  const { secret } = runtime();
  if (secret === undefined) throw new Error('The server secret is read before the fleet opened.');
  return secret;
}

/**
 * The app's fleet as silo.config.ts describes it (SILO_CONFIG, else the nearest one from the
 * working folder up; SILO_* variables override it), the same config the CLI and admin read.
 */
async function openConfiguredFleet(current: () => Runtime): Promise<Fleet> {
  const config = await loadSiloConfig();
  const fleet = await openFleet({ ...config.fleet, actor: 'todos' });
  current().secret = loadSecret(fleet.settings.dataDir);
  return fleet;
}
