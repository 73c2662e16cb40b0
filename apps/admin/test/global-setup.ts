import { ensureBuilt } from './helpers';

/**
 * The admin console is built before any of its suites start, not by the first one to ask
 * (suites still call ensureBuilt: it finds the build fresh and returns).
 */
export default async function setup(): Promise<void> {
  await ensureBuilt();
}
