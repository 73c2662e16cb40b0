import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { validate } from '@readme/openapi-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openFleet, validateName, type Fleet } from '@silo/fleet';
import createClient from 'openapi-fetch';
import { createApiApp, createServer, OPENAPI_PATH, type ApiPaths } from '../src/index';
import { API_TYPES_FILE, generatedApiTypes } from './api-types-source';
import { sampleSchema } from '../../fleet/test/fixtures/sample-schema';

let fleet: Fleet;
const dataDir = mkdtempSync(path.join(tmpdir(), 'silo-openapi-'));
beforeAll(async () => {
  fleet = await openFleet({ schema: sampleSchema(), dataDir });
});
afterAll(async () => {
  await fleet?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('the OpenAPI document', () => {
  it('is a valid OpenAPI 3.1 document', async () => {
    const app = createApiApp(fleet);
    const document = (await (await app.request(OPENAPI_PATH)).json()) as Record<string, unknown>;
    expect(document['openapi']).toBe('3.1.0');
    const result = await validate(structuredClone(document) as Parameters<typeof validate>[0]);
    expect(result.valid ? [] : result.errors).toEqual([]);
  });

  it('lists every route the API serves', async () => {
    const app = createApiApp(fleet);
    const document = (await (await app.request(OPENAPI_PATH)).json()) as { paths: Record<string, Record<string, unknown>> };
    const documented = new Set(Object.entries(document.paths).flatMap(([route, methods]) => Object.keys(methods).map((method) => `${method.toUpperCase()} ${route}`)));
    const served = app.routes
      .filter((route) => route.method !== 'ALL' && route.path !== OPENAPI_PATH)
      .map((route) => `${route.method} ${route.path.replace(/:([A-Za-z]+)/g, '{$1}')}`);
    expect(served.length).toBeGreaterThan(15);
    for (const route of served) expect(documented, route).toContain(route);
  });

  it('describes instance names by the rules the fleet enforces', async () => {
    const document = (await (await createApiApp(fleet).request(OPENAPI_PATH)).json()) as { components: { schemas: Record<string, { properties: Record<string, NameSchema> }> } };
    const name = document.components.schemas['CreateInstance']?.properties['name'];
    expect(name).toBeDefined();
    const documented = (value: string) => value.length >= (name?.minLength ?? 0) && value.length <= (name?.maxLength ?? Infinity) && new RegExp(name?.pattern ?? '').test(value);
    const accepted = (value: string) => {
      try {
        return validateName(value) === value;
      } catch {
        return false;
      }
    };
    for (const value of ['acme', 'a-b', 'ab', 'a'.repeat(63), 'a'.repeat(64), 'a--b', '-ab', 'ab-', 'Acme', 'ac_me', 'ac.me', '../x', 'xn--ab', 'acmé', '123', 'a-1-b']) {
      expect(documented(value), value).toBe(accepted(value));
    }
  });
});

interface NameSchema {
  minLength?: number;
  maxLength?: number;
  pattern?: string;
}

describe('typed clients', () => {
  it('src/api-types.ts matches the document (npm run generate -w @silo/server)', async () => {
    expect(readFileSync(API_TYPES_FILE, 'utf8')).toBe(await generatedApiTypes());
  });

  it('openapi-fetch with the exported types talks to the server', async () => {
    const server = await createServer({ fleet, port: 0, shutdownTimeoutMs: 0 });
    try {
      const { token } = fleet.apiTokens.create({ scope: 'write' });
      const client = createClient<ApiPaths>({ baseUrl: server.url, headers: { authorization: `Bearer ${token}` } });
      const created = await client.POST('/v1/instances', { body: { name: 'typed', jurisdiction: 'eu' } });
      expect(created.data?.state).toBe('ready');
      const shown = await client.GET('/v1/instances/{name}', { params: { path: { name: 'typed' } } });
      expect(shown.data?.clones).toEqual([]);
      const missing = await client.GET('/v1/instances/{name}', { params: { path: { name: 'nobody' } } });
      expect(missing.response.status).toBe(404);
      expect(missing.error?.error.code).toBe('INSTANCE_NOT_FOUND');
    } finally {
      await server.close();
    }
  });
});
