/** Names shared by forms and actions (client-safe: no server imports). */
export const CSRF_FIELD = 'csrf';
/** Set by the client when it submits through a fetcher, so the action answers with data, not a redirect. */
export const JS_FIELD = 'js';
/** The tenant schema allows 1–1000 characters per todo title. */
export const TITLE_MAX_LENGTH = 1000;
