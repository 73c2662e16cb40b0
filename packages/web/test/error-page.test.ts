import { describe, expect, it } from 'vitest';
import { escapeHtml } from '../src/error-page';

describe('escapeHtml', () => {
  it('escapes what ends an element or a quoted attribute, with the named entities', () => {
    expect(escapeHtml(`/login?next=%2F&expired=1"><script>alert('x')</script>`)).toBe(
      '/login?next=%2F&amp;expired=1&quot;&gt;&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;',
    );
    expect(escapeHtml('plain text, kept')).toBe('plain text, kept');
  });
});
