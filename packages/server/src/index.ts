/**
 * @silo/server: the fleet's HTTP API (`silo serve`). `createServer` listens; `createHandler`
 * is the same thing as a Fetch API handler for mounting in another server; `createApiApp` is
 * only the /v1 REST API (a Hono app, with its OpenAPI document at /v1/openapi.json).
 */
export { createServer, createHandler, defaultTokenSecretDir, DEFAULT_PORT, type RunningServer, type ServerHandler, type ServerOptions } from './server';
export { libsqlHandler, type LibsqlHandler, type LibsqlOptions } from './libsql/index';
export {
  createInstanceToken,
  createJurisdictionToken,
  revokeInstanceTokens,
  revokeJurisdictionTokens,
  type CreateInstanceTokenOptions,
  type CreateJurisdictionTokenOptions,
  type CreatedInstanceToken,
  type CreatedJurisdictionToken,
} from './instance-tokens';
export { createApiApp, JSON_BODY_MAX_BYTES, OPENAPI_PATH, type ApiOptions } from './api/app';
export type { RateLimits } from './api/auth';
export { FLEET_ERROR_STATUS, type ApiErrorCode, type ErrorBody } from './api/errors';
/** The API's paths and schemas as TypeScript types, for openapi-fetch (docs/api.md). */
export type { components as ApiComponents, operations as ApiOperations, paths as ApiPaths } from './api-types';
