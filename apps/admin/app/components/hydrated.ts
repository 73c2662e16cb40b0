import { useSyncExternalStore } from 'react';

const subscribe = (): (() => void) => () => undefined;

/** False during the server render and hydration, true afterwards: for browser-only widgets. */
export function useHydrated(): boolean {
  return useSyncExternalStore(
    subscribe,
    () => true,
    () => false,
  );
}
