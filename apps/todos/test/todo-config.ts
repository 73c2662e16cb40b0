import { fileURLToPath } from 'node:url';
import { loadSiloConfig, type LoadedSiloConfig, type TenantSchema } from '@silo/fleet';

/**
 * The TODO demo's config at the repository root: the tenant schema and metrics that the TODO
 * app, the admin and the CLI run with in tests (one copy for all three suites).
 */
export const TODO_CONFIG = fileURLToPath(new URL('../../../silo.config.ts', import.meta.url));

let todoConfigLoad: Promise<LoadedSiloConfig> | undefined;

/** The TODO demo's config, loaded once per test file, without the environment's SILO_* settings. */
export function todoConfig(): Promise<LoadedSiloConfig> {
  todoConfigLoad ??= loadSiloConfig({ path: TODO_CONFIG, env: {} });
  return todoConfigLoad;
}

/** The TODO app's tenant schema, from its config. */
export async function todoSchema(): Promise<TenantSchema> {
  return (await todoConfig()).fleet.schema;
}
