/**
 * This page's CSP nonce, for the style elements a library adds in the browser (CodeMirror).
 * The server put it on every script it rendered; browsers hide the attribute's value after
 * load (so injected markup cannot read it) but keep the `nonce` property.
 */
export function documentNonce(): string {
  return document.querySelector<HTMLScriptElement>('script[nonce]')?.nonce ?? '';
}
