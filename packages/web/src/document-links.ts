/**
 * `@silo/web/document-links`: React Router's `<Links>` for the apps' document, safe in the
 * browser bundle (React and React Router only).
 */
import { createElement, type ReactElement } from 'react';
import { Links } from 'react-router';

/** The few DOM members used here: the package's types do not include the DOM library. */
interface DocumentLike {
  querySelector(selector: string): { getAttribute(name: string): string | null } | null;
}

/**
 * What the page's stylesheet links hold in their nonce attribute. A browser usually blanks a
 * nonce attribute once it has parsed it (the value stays in an internal slot, so a script or
 * CSS selector cannot read it), but not always by the time React hydrates: Chromium was seen
 * hydrating over both the blanked and the server's value. The client has no nonce of its own to
 * give, so it renders what its DOM holds, and the links hydrate either way.
 */
function nonceInDocument(document: DocumentLike): string {
  return document.querySelector('link[nonce]')?.getAttribute('nonce') ?? '';
}

/**
 * On the server, `<Links>` takes the CSP nonce that `<ServerRouter nonce>` carries. In the
 * browser, rendered with `nonce={undefined}`, every stylesheet link would read as a hydration
 * mismatch against the attribute the server wrote; it renders the DOM's own value instead.
 */
export function DocumentLinks(): ReactElement {
  const document = (globalThis as { document?: DocumentLike }).document;
  return createElement(Links, { nonce: document === undefined ? undefined : nonceInDocument(document) });
}
