import { startStandinProcess as startStandin, type TursoStandinOptions } from '@silo/turso-standin';
import type { TursoSettingsInput } from '../src/index';

/** The groups every stand-in is started with: one per jurisdiction of the default regions. */
export const STANDIN_GROUPS = { eu: 'silo-eu', us: 'silo-us' } as const;

export interface StandinProcess {
  /** Settings of a Turso engine pointed at this stand-in (tokens minted at start-up). */
  readonly settings: TursoSettingsInput;
  /** Where the Platform API listens and its token, for tests that call it themselves. */
  readonly platform: { readonly url: string; readonly org: string; readonly apiToken: string };
  stop(): Promise<void>;
}

/**
 * Starts the Turso stand-in (packages/turso-standin) on loopback in a child process: embedded
 * replicas in the test's process, and statements that never end, cannot stall it.
 */
export async function startStandinProcess(
  dataDir: string,
  options: { notReadyMs?: number; moreGroups?: { name: string; location: string }[] } & Pick<
    TursoStandinOptions,
    'listPageSize' | 'plan' | 'replicaGenerationCommits' | 'transactionTimeoutMs' | 'streamIdleMs' | 'maxResponseBytes'
  > = {},
): Promise<StandinProcess> {
  const { notReadyMs, moreGroups = [], ...limits } = options;
  const standin = await startStandin({
    dataDir,
    notReadyMs: notReadyMs ?? 100,
    // Turso's limits by default (5 s transactions, 10 s idle streams, 10 MB results); tests may shrink them.
    ...limits,
    groups: [
      { name: STANDIN_GROUPS.eu, location: 'aws-eu-west-1' },
      { name: STANDIN_GROUPS.us, location: 'aws-us-east-1' },
      ...moreGroups,
    ],
  });
  return {
    settings: {
      org: standin.org,
      apiToken: standin.apiToken,
      apiUrl: standin.platformUrl,
      groups: { ...STANDIN_GROUPS },
      tls: false,
      readyTimeoutMs: 10_000,
    },
    platform: { url: standin.platformUrl, org: standin.org, apiToken: standin.apiToken },
    stop: () => standin.close(),
  };
}
