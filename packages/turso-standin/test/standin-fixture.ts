/**
 * What the stand-in's protocol tests share: one stand-in per test file in a temporary folder,
 * a full-access and a read-only token of its default group, databases with a client per token,
 * and everything closed and removed after the file's tests.
 */
import { createClient as createLibsqlClient, type Client, type LibsqlError } from '@libsql/client';
import { createClient as createTursoApi } from '@tursodatabase/api';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { libsqlClientConfig, startTursoStandin, type TursoStandin, type TursoStandinOptions } from '../src/index';

type TursoApi = ReturnType<typeof createTursoApi>;
interface Started {
  readonly standin: TursoStandin;
  readonly api: TursoApi;
  readonly fullToken: string;
  readonly readToken: string;
}

export class StandinForFile {
  readonly #label: string;
  readonly #cleanups: (() => Promise<void> | void)[] = [];
  #started: Started | undefined;
  #databases = 0;

  /** Call at a test file's top level: the stand-in starts before its tests and stops after them. */
  constructor(label: string, options: Omit<TursoStandinOptions, 'dataDir'> = {}) {
    this.#label = label;
    beforeAll(async () => {
      const standin = await this.startOwn(options);
      const api = createTursoApi(standin.apiClientConfig);
      const fullToken = (await api.groups.createToken('default')).jwt;
      const readToken = (await api.groups.createToken('default', { authorization: 'read-only' })).jwt;
      this.#started = { standin, api, fullToken, readToken };
    });
    afterAll(async () => {
      for (const cleanup of this.#cleanups.splice(0).reverse()) await cleanup();
    });
  }

  get standin(): TursoStandin {
    return this.#ready().standin;
  }

  get api(): TursoApi {
    return this.#ready().api;
  }

  get fullToken(): string {
    return this.#ready().fullToken;
  }

  get readToken(): string {
    return this.#ready().readToken;
  }

  /** Another stand-in (other options), in a folder of its own, stopped with this one. */
  async startOwn(options: Omit<TursoStandinOptions, 'dataDir'> = {}): Promise<TursoStandin> {
    const dataDir = mkdtempSync(path.join(tmpdir(), `turso-${this.#label}-`));
    this.#cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
    const standin = await startTursoStandin({ dataDir, notReadyMs: 0, ...options });
    this.#cleanups.push(() => standin.close());
    return standin;
  }

  /** A @libsql/client of `hostname` with `token` (numbers as numbers), closed after the file. */
  client(hostname: string, token: string): Client {
    const client = createLibsqlClient({ ...libsqlClientConfig(hostname, token), intMode: 'number' });
    this.#cleanups.push(() => client.close());
    return client;
  }

  /** A new database in the default group, with a client for each token. */
  async database(): Promise<{ hostname: string; id: string; full: Client; read: Client }> {
    const { hostname, id } = await this.api.databases.create(`${this.#label}-${++this.#databases}`, { group: 'default' });
    return { hostname, id, full: this.client(hostname, this.fullToken), read: this.client(hostname, this.readToken) };
  }

  #ready(): Started {
    if (this.#started === undefined) throw new Error('The stand-in starts in beforeAll: use it inside a test.');
    return this.#started;
  }
}

/** How a libSQL call failed: its code, message and HTTP status (403 for a refused token). */
export async function failure(promise: Promise<unknown>): Promise<{ code: string | undefined; message: string; status: number | undefined }> {
  const error = (await promise.then(
    () => undefined,
    (e: unknown) => e,
  )) as LibsqlError | undefined;
  if (error === undefined) throw new Error('expected the statement to fail');
  return { code: error.code, message: error.message, status: (error.cause as { status?: number } | undefined)?.status };
}
