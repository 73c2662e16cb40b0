/**
 * The hidden one-time token of a form that makes an instance (create, import, clone): a token
 * from the page's loader (`newFormToken()`), new on every rendering. The form's post sent again
 * without JavaScript (a double click, a reload that resubmits it) leads where the first one
 * went instead of running twice (lib/submit-once.server.ts, which reads this field).
 */
export function OnceField({ token }: { token: string }) {
  return <input type="hidden" name="once" value={token} />;
}
