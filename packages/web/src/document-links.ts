/**
 * `@silo/web/document-links`: React Router's `<Links>` for the apps' document, safe in the
 * browser bundle (React and React Router only).
 */
import { createElement, type ReactElement } from 'react';
import { Links } from 'react-router';

/**
 * On the server, `<Links>` takes the CSP nonce that `<ServerRouter nonce>` carries. The browser
 * blanks a nonce attribute once it has parsed it (the value stays in an internal slot, so a
 * script or CSS selector cannot read it), and the client has no nonce to give: rendered with
 * `nonce={undefined}` there, every stylesheet link reads as a hydration mismatch against the
 * blanked `nonce=""`. The empty string is what the client's DOM holds, so it is what the client
 * renders; the real nonce never reaches the browser bundle.
 */
export function DocumentLinks(): ReactElement {
  return createElement(Links, { nonce: 'document' in globalThis ? '' : undefined });
}
