/** @silo/web: server-side safety shared by the TODO app and the admin console. */
export { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH, hashPassword, passwordProblem, verifyPassword } from './passwords';
export { hashToken, randomToken, safeEqual } from './tokens';
export { CSRF_FIELD, assertSameOrigin, csrfToken, verifyCsrfToken } from './csrf';
export { createRateLimiter, type RateLimiter } from './rate-limit';
export { rateLimitKey } from './limit-key';
export { loadSecret } from './secret';
export { createNonce, readForm, securityHeaders, sessionCookieOptions } from './http';
export { clientFiles } from './static-files';
export type { ServeClientFile } from './static-files';
export { discardUnreadBodyAfterResponse } from './unread-body';
export { CLIENT_ADDRESS_HEADER, clientAddressOf, createRequest, createRequestListener } from './request-listener';
export type { RequestInfo, RequestListenerOptions } from './request-listener';
export { safeNextPath, type SafeNextPathOptions } from './next-path';
export { NO_PROXY, forwardedFor, parseTrustProxy, trustProxySchema, type Forwarded, type TrustProxy } from './forwarded';
export { allowedHosts, allowedHostsSchema, parseHostList, type AllowedHosts } from './hosts';
export { readinessResponse, type ReadinessReport } from './readiness';
