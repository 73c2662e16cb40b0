import { remember } from './remember';

type Hook = () => Promise<void> | void;

/**
 * Work the app registers for a graceful shutdown (closing its fleet), run by the app server
 * after in-flight requests finished, in the order registered. On `remember`, so the bundled
 * app and server.ts share one list.
 */
export function onShutdown(hook: Hook): void {
  remember<Hook[]>('shutdown-hooks', () => []).push(hook);
}

/** Runs and empties the list; a hook that fails is reported and does not stop the others. */
export async function runShutdownHooks(report: (error: unknown) => void): Promise<void> {
  const hooks = remember<Hook[]>('shutdown-hooks', () => []);
  for (const hook of hooks.splice(0)) {
    try {
      await hook();
    } catch (error) {
      report(error);
    }
  }
}
