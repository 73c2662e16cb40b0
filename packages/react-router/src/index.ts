/**
 * @silo/react-router: what a React Router app on Silo needs on the server. For now the
 * document rendering and request context already made generic in @silo/web; the TODO app's
 * tenant middleware (apps/todos/app/tenant-gate.server.ts) moves here next.
 */
export { handleDocumentRequest, handleError, loadContextFor, requestInfoContext, streamTimeout } from '@silo/web/react-router';
