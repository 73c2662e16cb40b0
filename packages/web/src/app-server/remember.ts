/**
 * Process singletons (the fleet, the secret, rate limiters) kept on `globalThis` under
 * `Symbol.for('silo.remember.<name>')`. A server runs two copies of the app's modules — the
 * ones server.ts imports through tsx and the ones bundled into the React Router build — and
 * dev-mode reloads import them again; a module-level variable would open a second fleet.
 */
type Store = Record<symbol, unknown>;

function keyOf(name: string): symbol {
  return Symbol.for(`silo.remember.${name}`);
}

/** The value remembered as `name`, made by `factory` the first time. */
export function remember<T>(name: string, factory: () => T): T {
  const store = globalThis as unknown as Store;
  const key = keyOf(name);
  if (!(key in store)) store[key] = factory();
  return store[key] as T;
}

/** Forgets `name` (after closing what it held), so the next `remember` makes a new one. */
export function forget(name: string): void {
  Reflect.deleteProperty(globalThis, keyOf(name));
}
