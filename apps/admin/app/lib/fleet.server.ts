import { openFleet, type Fleet } from '@silo/fleet';
import { forget, loadSecret, onShutdown, remember } from '@silo/web';
import { resourceMiddleware } from '@silo/web/react-router';
import { createContext } from 'react-router';
import { siloConfig } from './app-config.server';

/**
 * For server.ts and the root middleware; loaders, actions and middleware read `fleetContext`.
 * The fleet is the one silo.config.ts describes, with SILO_* variables over it: one per
 * process on @silo/web's `remember` (server.ts, run by tsx, and the bundled app share it; dev
 * reloads do not open a second one), closed by the app server's shutdown hooks.
 */
export function getFleet(): Promise<Fleet> {
  return remember('admin.fleet', () => {
    const fleet = siloConfig().then((config) => openFleet({ ...config.fleet, actor: 'admin' }));
    // The running backup cycle finishes and the lease is handed back (close stops the
    // scheduler), so another process takes over at once.
    onShutdown(() => closeFleet());
    return fleet;
  });
}

/** The process's fleet, set for every request by the root middleware. */
export const fleetContext = createContext<Fleet>();

export const fleetMiddleware = resourceMiddleware(fleetContext, getFleet);

export async function closeFleet(): Promise<void> {
  const fleet = remember<Promise<Fleet> | undefined>('admin.fleet', () => undefined);
  forget('admin.fleet');
  if (fleet) await (await fleet).close();
}

/** The server secret (CSRF tokens): SILO_SECRET, or generated once into the data folder. */
export function getSecret(): Promise<string> {
  return remember('admin.secret', async () => loadSecret((await getFleet()).settings.dataDir));
}
