import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createClient, type Client } from '@libsql/client';
import { defineTenantSchema, openFleet, type Fleet } from '@silo/fleet';
import { createInstanceToken } from '../src/instance-tokens';
import { libsqlHandler, type LibsqlHandler, type LibsqlOptions } from '../src/libsql/index';
import { nodeListener } from './node-listener';

/** The tenant schema of the endpoint's tests: notes, as in the fleet's sample schema. */
export const notesSchema = defineTenantSchema({
  id: 'libsql-notes',
  migrations: [
    { version: 1, name: 'notes', sql: 'CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL, tag TEXT, data BLOB, big INTEGER);' },
  ],
  metricsSql: 'SELECT count(*) AS notes FROM notes',
});

export interface Endpoint {
  readonly fleet: Fleet;
  readonly dataDir: string;
  /** `http://127.0.0.1:<port>` */
  readonly origin: string;
  readonly handler: LibsqlHandler;
  token(instance: string, options?: { readOnly?: boolean; expiresInSeconds?: number }): Promise<string>;
  /** A client for the instance, routed by path (`/db/<name>/`), closed with the endpoint. */
  client(instance: string, authToken: string, url?: string): Client;
  close(): Promise<void>;
}

/** A fleet in a temporary folder, the endpoint over real HTTP on loopback. */
export async function startEndpoint(options: Partial<LibsqlOptions> = {}): Promise<Endpoint> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'silo-libsql-'));
  const fleet = await openFleet({ schema: notesSchema, dataDir });
  const handler = libsqlHandler(fleet, { tokenSecretDir: dataDir, tokenRefreshMs: 0, ...options });
  const server: Server = createServer(nodeListener(handler));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const clients: Client[] = [];
  return {
    fleet,
    dataDir,
    origin,
    handler,
    token: async (instance, tokenOptions = {}) => (await createInstanceToken(fleet, { tokenSecretDir: dataDir, instance, ...tokenOptions })).token,
    client: (instance, authToken, url = `${origin}/db/${instance}/`) => {
      const client = createClient({ url, authToken, intMode: 'bigint' });
      clients.push(client);
      return client;
    },
    close: async () => {
      for (const client of clients) client.close();
      handler.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await fleet.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
