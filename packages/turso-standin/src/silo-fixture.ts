import { startTursoStandin, type TursoStandin } from './standin';

/**
 * What Silo's own tests need from the stand-in: one group per jurisdiction of the default
 * regions, and the environment that points an app server, the CLI or a fleet at it.
 */
export function startJurisdictionStandin(dataDir: string, options: { notReadyMs?: number } = {}): Promise<TursoStandin> {
  return startTursoStandin({
    dataDir,
    notReadyMs: options.notReadyMs ?? 200,
    groups: [
      { name: 'silo-eu', location: 'aws-eu-west-1' },
      { name: 'silo-us', location: 'aws-us-east-1' },
    ],
  });
}

/** The SILO_* variables of a Turso deployment, aimed at this stand-in (plain HTTP on loopback). */
export function siloTursoEnv(standin: TursoStandin, options: { prefix?: string } = {}): Record<string, string> {
  return {
    SILO_ENGINE: 'turso',
    SILO_TURSO_ORG: standin.org,
    SILO_TURSO_API_TOKEN: standin.apiToken,
    SILO_TURSO_API_URL: standin.platformUrl,
    SILO_TURSO_GROUPS: 'eu=silo-eu,us=silo-us',
    SILO_TURSO_TLS: '0',
    ...(options.prefix === undefined ? {} : { SILO_TURSO_DB_PREFIX: options.prefix }),
  };
}
