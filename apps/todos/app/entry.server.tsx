// React Router's Node entry with a CSP nonce per response, and one-line logs for client
// errors React Router answers itself: shared with the admin console (@silo/web).
export { handleDocumentRequest as default, handleError, streamTimeout } from '@silo/web/react-router';
