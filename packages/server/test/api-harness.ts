import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openFleet, type Fleet, type FleetOptions } from '@silo/fleet';
import type { AccessLogger } from '../src/access-log';
import { createServer, type RateLimits, type RunningServer } from '../src/index';
import { sampleSchema } from '../../fleet/test/fixtures/sample-schema';

/** A token of each kind the API's tests use: the three scopes unscoped, and eu-only write and admin. */
export type TokenKind = 'read' | 'write' | 'admin' | 'eu' | 'euAdmin';

export interface ApiHarness {
  readonly fleet: Fleet;
  readonly server: RunningServer;
  readonly dataDir: string;
  readonly tokens: Readonly<Record<TokenKind, string>>;
  close(): Promise<void>;
}

/** A fleet of the sample schema in a temporary folder, `silo serve` on loopback, and its tokens. */
export async function startApi(options: { rateLimits?: RateLimits; fleet?: Omit<FleetOptions, 'schema' | 'dataDir'>; log?: AccessLogger } = {}): Promise<ApiHarness> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'silo-api-'));
  const fleet = await openFleet({ ...options.fleet, schema: sampleSchema(), dataDir });
  const server = await createServer({ fleet, port: 0, shutdownTimeoutMs: 0, ...(options.rateLimits ? { rateLimits: options.rateLimits } : {}), ...(options.log ? { log: options.log } : {}) });
  const token = (scope: 'read' | 'write' | 'admin', jurisdiction?: string): string => fleet.apiTokens.create({ scope, actor: 'test', ...(jurisdiction ? { jurisdiction } : {}) }).token;
  const tokens = { read: token('read'), write: token('write'), admin: token('admin'), eu: token('write', 'eu'), euAdmin: token('admin', 'eu') };
  return {
    fleet,
    server,
    dataDir,
    tokens,
    close: async () => {
      await server.close();
      await fleet.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
