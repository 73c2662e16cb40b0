import { SiloError } from './errors';

/**
 * Characters that change what a terminal shows rather than being shown: C0 and C1 controls
 * (ESC starts cursor moves, screen clears, title changes and OSC 8 links; CR overwrites a
 * line), DEL, line and paragraph separators, and the invisible format characters (Unicode
 * category Cf), which include the bidi overrides and isolates (U+202A–202E, U+2066–2069) that
 * make text read in another order than it is stored. ZWNJ and ZWJ (U+200C, U+200D) are
 * format characters too, but scripts and emoji need them and they move nothing: they stay.
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

export const DISPLAY_NAME_MAX_LENGTH = 200;

/**
 * A display name is shown in terminals and consoles, so it may not carry anything that acts
 * on them: controls (including line breaks and tabs) and invisible format characters are
 * refused here, where names enter the fleet. Older rows may predate this check, which is why
 * the CLI also escapes on output.
 */
export function validateDisplayName(input: string): string {
  const trimmed = input.trim();
  if (trimmed.length === 0 || trimmed.length > DISPLAY_NAME_MAX_LENGTH) {
    throw new SiloError('INVALID_NAME', `A display name needs 1–${DISPLAY_NAME_MAX_LENGTH} characters.`);
  }
  const match = UNSAFE_CHAR.exec(trimmed);
  if (match) {
    const codePoint = match[0].codePointAt(0)?.toString(16).toUpperCase().padStart(4, '0');
    throw new SiloError(
      'INVALID_NAME',
      `A display name may not contain control or invisible formatting characters (such as line breaks, terminal escapes or bidi overrides); found U+${codePoint} at position ${match.index + 1}. Remove it and try again.`,
      { details: { codePoint: `U+${codePoint}` } },
    );
  }
  return trimmed;
}

/**
 * A display name made from stored text (a clone's "(copy)", a restore's time): a row older
 * than the check may hold characters no longer allowed, so this gives undefined (the instance
 * name is used) instead of failing the operation or copying them into a new row.
 */
export function derivedDisplayName(value: string): string | undefined {
  try {
    return validateDisplayName(value.slice(0, DISPLAY_NAME_MAX_LENGTH));
  } catch {
    return undefined;
  }
}
