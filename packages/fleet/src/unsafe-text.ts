import { SiloError } from './errors';
import { unsafeCharPattern } from './unsafe-chars';

// The fleet's name and email checks (names.ts, the admin directory) import the rule from here.
export { escapeChar, unsafeCharPattern } from './unsafe-chars';

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
  const match = unsafeCharPattern().exec(trimmed);
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
