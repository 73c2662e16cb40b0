/**
 * `@silo/fleet/unsafe-chars`: the one rule for characters that act on whatever shows text
 * instead of being shown, for the fleet's checks, the CLI's output and the admin's pages (in
 * the browser too). It must import nothing, so the admin's browser bundle can take it.
 *
 * The characters: C0 and C1 controls (ESC starts cursor moves, screen clears, title changes
 * and OSC 8 links; CR overwrites a line), DEL, line and paragraph separators, and the
 * invisible format characters (Unicode category Cf), which include the bidi overrides and
 * isolates (U+202A–202E, U+2066–2069) that make text read in another order than it is stored,
 * and the zero-width space, word joiner and BOM that hide a difference between two names. ZWNJ
 * and ZWJ (U+200C, U+200D) are format characters too, but scripts and emoji need them (display
 * names keep them) and they move nothing: they stay. Tabs and line breaks are in the set: each
 * surface keeps those its own layout shows harmlessly (the CLI's tables, an HTML page).
 */
const UNSAFE_CHAR = /(?![\u200C\u200D])[\p{Cc}\p{Cf}\u2028\u2029]/u;

/** Every unsafe character in `text`; a fresh global regex, so no `lastIndex` is shared. */
export function unsafeCharPattern(): RegExp {
  return new RegExp(UNSAFE_CHAR.source, 'gu');
}

/**
 * `\uXXXX` for each UTF-16 unit of the character: readable in a terminal, and inside a JSON
 * string it decodes back to the same character, so JSON output stays valid and lossless.
 */
export function escapeChar(char: string): string {
  let out = '';
  for (let i = 0; i < char.length; i++) out += `\\u${char.charCodeAt(i).toString(16).padStart(4, '0')}`;
  return out;
}
