import path from 'node:path';
import { settingsFromEnv, type FleetSettingsInput } from '../config';
import type { ConfigSettings } from './define-config';

/**
 * The file's settings with the environment on top, setting by setting: a deployment changes
 * one value (SILO_DATA_DIR, SILO_REGIONS, SILO_ENGINE...) without editing the app's file.
 * The variables are read and checked by `settingsFromEnv`, as without a config file. Groups of
 * settings a variable names as a whole (regions, the Turso engine with SILO_ENGINE=turso,
 * the catalog with SILO_CATALOG_URL) replace the file's; backup settings merge key by key.
 *
 * The file's `dataDir` is relative to the file, so the CLI run from a subfolder finds the same
 * data; SILO_DATA_DIR stays relative to the working folder, as it always was.
 */
export function withEnvironment(file: ConfigSettings, env: NodeJS.ProcessEnv, configDir: string): FleetSettingsInput {
  const fromEnv = settingsFromEnv(env);
  const { turso: fileTurso, catalog: fileCatalog, ...fileRest } = file;
  const merged: FleetSettingsInput = {
    ...fileRest,
    ...fromEnv,
    dataDir: env['SILO_DATA_DIR'] ? fromEnv.dataDir : path.resolve(configDir, file.dataDir ?? 'data'),
  };
  if (file.backups && fromEnv.backups) merged.backups = { ...file.backups, ...fromEnv.backups };
  // Tokens are secrets: the file may leave them to the environment.
  if (!fromEnv.turso && fileTurso) merged.turso = { ...fileTurso, apiToken: fileTurso.apiToken ?? variable(env, 'SILO_TURSO_API_TOKEN') };
  if (!fromEnv.catalog && fileCatalog) merged.catalog = { ...fileCatalog, authToken: fileCatalog.authToken ?? variable(env, 'SILO_CATALOG_AUTH_TOKEN') };
  return merged;
}

function variable(env: NodeJS.ProcessEnv, name: string): string {
  return env[name]?.trim() ?? '';
}
