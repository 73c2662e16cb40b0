import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import openapiTS, { astToString, type OpenAPI3 } from 'openapi-typescript';
import { openFleet } from '@silo/fleet';
import { createApiApp, OPENAPI_PATH } from '../src/index';
import { sampleSchema } from '../../fleet/test/fixtures/sample-schema';

export const API_TYPES_FILE = new URL('../src/api-types.ts', import.meta.url);

const HEADER = `/**
 * The API's types for typed clients (openapi-fetch), generated from /v1/openapi.json by
 * openapi-typescript. Do not edit: run \`npm run generate -w @silo/server\`; a test checks
 * that this file matches the document.
 */
`;

/** The OpenAPI document of the API as served (any fleet gives the same document). */
export async function openApiDocument(): Promise<OpenAPI3> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'silo-openapi-doc-'));
  const fleet = await openFleet({ schema: sampleSchema(), dataDir, reconcileOnOpen: false });
  try {
    return (await (await createApiApp(fleet).request(OPENAPI_PATH)).json()) as OpenAPI3;
  } finally {
    await fleet.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

export async function generatedApiTypes(): Promise<string> {
  const document = await openApiDocument();
  return HEADER + astToString(await openapiTS(document));
}
