/** Names shared by forms and actions (client-safe: no server imports). */
export const CSRF_FIELD = 'csrf';
/** Set by the client when it submits through a fetcher, so the action answers with data, not a redirect. */
export const JS_FIELD = 'js';
/** An add's own fetcher key, and the key of the add sent just before it still unanswered (add-order.server.ts). */
export const ADD_KEY_FIELD = 'addKey';
export const ADD_AFTER_FIELD = 'after';
/** The tenant schema allows 1–1000 characters per todo title. */
export const TITLE_MAX_LENGTH = 1000;
/**
 * The longest email address an account may have (RFC 5321's path limit). Without it a 16 KB
 * "address" passed the email check and was stored, then shown on every member list.
 */
export const EMAIL_MAX_LENGTH = 254;
