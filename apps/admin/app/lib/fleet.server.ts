import { openFleet, type Fleet } from '@silo/fleet';
import { loadSecret } from '@silo/web';
import { resourceMiddleware } from '@silo/web/react-router';
import { createContext } from 'react-router';
import { siloConfig } from './app-config.server';

/**
 * One fleet per server process. Kept on globalThis so server.ts (run by tsx) and the
 * bundled app share it, and so dev-mode module reloads do not open a second one.
 */
const KEY = Symbol.for('silo.admin.fleet');
type Holder = { [KEY]?: Promise<Fleet> };

/**
 * For server.ts and the root middleware; loaders, actions and middleware read `fleetContext`.
 * The fleet is the one silo.config.ts describes, with SILO_* variables over it.
 */
export function getFleet(): Promise<Fleet> {
  const holder = globalThis as Holder;
  holder[KEY] ??= siloConfig().then((config) => openFleet({ ...config.fleet, actor: 'admin' }));
  return holder[KEY];
}

/** The process's fleet, set for every request by the root middleware. */
export const fleetContext = createContext<Fleet>();

export const fleetMiddleware = resourceMiddleware(fleetContext, getFleet);

export async function closeFleet(): Promise<void> {
  const holder = globalThis as Holder;
  const fleet = holder[KEY];
  holder[KEY] = undefined;
  if (fleet) await (await fleet).close();
}

const SECRET_KEY = Symbol.for('silo.admin.secret');
type SecretHolder = { [SECRET_KEY]?: string };

/** The server secret (CSRF tokens): SILO_SECRET, or generated once into the data folder. */
export async function getSecret(): Promise<string> {
  const holder = globalThis as SecretHolder;
  holder[SECRET_KEY] ??= loadSecret((await getFleet()).settings.dataDir);
  return holder[SECRET_KEY];
}
