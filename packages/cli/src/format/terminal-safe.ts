import { escapeChar, unsafeCharPattern } from '@silo/fleet/internal';

/**
 * The colour codes our own Style writes (node's styleText: bold, dim, red, green, yellow,
 * cyan and their resets). Only these survive, and only on a stream that has colour on: data
 * holding the same bytes can at worst colour its own text, never move the cursor, clear the
 * screen, set the title or hide a link.
 */
const OWN_STYLE = '\\x1b\\[(?:1|2|22|31|32|33|36|39)m';

/**
 * The one function between data and the operator's terminal. Every control and invisible
 * format character (see unsafeCharPattern) becomes a visible `\uXXXX`, except the newline and
 * tab the CLI's own layout uses (formatters keep data's line breaks out of single-line
 * fields) and, when `keepStyles`, our own colour codes. JSON stays valid: inside a JSON string
 * `\uXXXX` decodes to the same character.
 */
export function terminalSafe(text: string, options: { keepStyles?: boolean } = {}): string {
  const unsafe = unsafeCharPattern().source;
  const pattern = new RegExp(options.keepStyles ? `(${OWN_STYLE})|${unsafe}` : unsafe, 'gu');
  return text.replace(pattern, (match: string, ...rest: unknown[]) => {
    // Without keepStyles there is no group and rest[0] is the offset.
    if (typeof rest[0] === 'string') return match;
    return match === '\n' || match === '\t' ? match : escapeChar(match);
  });
}

/** A value for a one-line field (a table cell, a `label  value` pair): its line breaks shown, not followed. */
export function oneLine(text: string): string {
  return text.replace(/\r\n|\r|\n/g, (match) => escapeChar(match));
}
