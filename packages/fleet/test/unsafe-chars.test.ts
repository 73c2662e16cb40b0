import { describe, expect, it } from 'vitest';
import { escapeChar, unsafeCharPattern } from '../src/unsafe-chars';

const unsafeIn = (text: string): string[] => text.match(unsafeCharPattern()) ?? [];

describe('the unsafe characters every surface escapes or refuses', () => {
  it.each([
    ['C0 controls, tab and line breaks included', '\0\x07\b\t\n\r\x1b'],
    ['DEL and the C1 controls (CSI)', '\x7f\x80\x9b\x9f'],
    ['line and paragraph separators', '\u2028\u2029'],
    ['bidi marks, embeddings, overrides and isolates', '\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069'],
    ['what hides a difference: soft hyphen, zero-width space, word joiner, BOM', '\u00ad\u200b\u2060\ufeff'],
    ['tag characters (outside the BMP)', '\u{e0001}\u{e0041}'],
  ])('are %s', (_label, chars) => {
    expect(unsafeIn(chars)).toEqual([...chars]);
  });

  it('leave ordinary text of any script alone, emoji and their joiners and variation selectors included', () => {
    expect(unsafeIn('Café Zoë — 東京 \u{1f469}\u200d\u{1f4bb} \u2764\ufe0f \u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645 a\u00a0b')).toEqual([]);
  });

  it('are a fresh pattern each time: no lastIndex carried from one use to the next', () => {
    const pattern = unsafeCharPattern();
    expect(pattern.test('a\x1b')).toBe(true);
    expect(unsafeCharPattern().test('\x1b')).toBe(true);
  });
});

describe('escapeChar', () => {
  it('writes each UTF-16 unit as \\uXXXX, which JSON decodes back to the same character', () => {
    expect(escapeChar('\x1b')).toBe('\\u001b');
    expect(escapeChar('\u{e0041}')).toBe('\\udb40\\udc41');
    const escaped = 'rtl\u202eevil'.replace(unsafeCharPattern(), escapeChar);
    expect(escaped).toBe('rtl\\u202eevil');
    expect(JSON.parse(`"${escaped}"`)).toBe('rtl\u202eevil');
  });
});
