import { openFleet, settingsFromEnv, type Fleet } from '@silo/fleet';
import { todoSchema } from '@silo/todo-schema';
import { loadSecret } from '@silo/web';
import { resourceMiddleware } from '@silo/web/react-router';
import { appConfig } from './config.server';
import { fleetContext } from './context.server';

/**
 * One fleet per server process. Kept on globalThis so that a dev-server reload does not open
 * a second one, and closed by the server's shutdown hooks (see server.ts).
 */
interface Runtime {
  fleet: Promise<Fleet>;
  secret: string;
}

const RUNTIME = Symbol.for('silo.todos.runtime');
const SHUTDOWN_HOOKS = Symbol.for('silo.todos.shutdownHooks');
type Store = { [key: symbol]: unknown };

function store(): Store {
  return globalThis as unknown as Store;
}

function runtime(): Runtime {
  const existing = store()[RUNTIME] as Runtime | undefined;
  if (existing) return existing;
  const settings = settingsFromEnv();
  const created: Runtime = {
    fleet: openFleet({ schema: todoSchema, ...settings, actor: 'todos' }),
    secret: loadSecret(appConfig().dataDir),
  };
  store()[RUNTIME] = created;
  const hooks = (store()[SHUTDOWN_HOOKS] ??= []) as (() => Promise<void>)[];
  hooks.push(async () => {
    const fleet = await created.fleet;
    await fleet.close();
  });
  return created;
}

/** For the server process and the root middleware; loaders and actions read `fleetContext`. */
export function getFleet(): Promise<Fleet> {
  return runtime().fleet;
}

/** Root middleware: every loader, action and middleware below reads the fleet from `fleetContext`. */
export const fleetMiddleware = resourceMiddleware(fleetContext, getFleet);

export function serverSecret(): string {
  return runtime().secret;
}
