/**
 * @silo/react-router: what a React Router app on Silo needs on the server: the tenant
 * middleware and its typed context, document rendering, error reporting and the request
 * context (the last three made generic in @silo/web).
 */
export { handleDocumentRequest, handleError, loadContextFor, requestInfoContext, streamTimeout } from '@silo/web/react-router';
export { tenantContext, type Tenant } from './tenant-context';
export { tenantMiddleware, type TenantMiddlewareOptions } from './tenant-middleware';
export { tenantErrorResponse, type TenantUnavailable } from './tenant-errors';
export { subdomainName, type TenantNameSource } from './tenant-name';
