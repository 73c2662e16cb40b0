import { startTursoStandin, type TursoStandin } from './standin';
import { startStandinProcess } from './standin-process';

/**
 * What Silo's own tests need from the stand-in: one group per jurisdiction of the default
 * regions, and the environment that points an app server, the CLI or a fleet at it.
 * `process: true` runs it in a child process, needed when this process opens an embedded
 * replica (a catalog on Turso): a replica's sync blocks the event loop the stand-in needs.
 */
export function startJurisdictionStandin(dataDir: string, options: { notReadyMs?: number; process?: boolean } = {}): Promise<TursoStandin> {
  const settings = {
    dataDir,
    notReadyMs: options.notReadyMs ?? 200,
    groups: [
      { name: 'silo-eu', location: 'aws-eu-west-1' },
      { name: 'silo-us', location: 'aws-us-east-1' },
    ],
  };
  return options.process ? startStandinProcess(settings) : startTursoStandin(settings);
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

/**
 * A database for Silo's catalog on the stand-in, as an operator makes one on Turso (create it,
 * mint a token), answered once it is ready, with the variables that put the catalog there.
 */
export async function createCatalogDatabase(
  standin: Pick<TursoStandin, 'platformUrl' | 'org' | 'apiToken'>,
  options: { name?: string; group?: string } = {},
): Promise<{ SILO_CATALOG_URL: string; SILO_CATALOG_AUTH_TOKEN: string }> {
  const name = options.name ?? 'silo-catalog';
  const base = `${standin.platformUrl}organizations/${standin.org}/databases`;
  const headers = { authorization: `Bearer ${standin.apiToken}`, 'content-type': 'application/json' };
  const created = await fetch(base, { method: 'POST', headers, body: JSON.stringify({ name, group: options.group ?? 'silo-eu' }) });
  if (!created.ok) throw new Error(`creating the catalog database failed: ${created.status} ${await created.text()}`);
  const { database } = (await created.json()) as { database: { Hostname: string } };
  const minted = await fetch(`${base}/${name}/auth/tokens?authorization=full-access`, { method: 'POST', headers });
  if (!minted.ok) throw new Error(`minting the catalog token failed: ${minted.status} ${await minted.text()}`);
  const { jwt } = (await minted.json()) as { jwt: string };
  const url = `http://${database.Hostname}`;
  for (const deadline = Date.now() + 10_000; (await fetch(new URL('v2', url))).status !== 200; ) {
    if (Date.now() > deadline) throw new Error('the catalog database never became ready');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return { SILO_CATALOG_URL: url, SILO_CATALOG_AUTH_TOKEN: jwt };
}
