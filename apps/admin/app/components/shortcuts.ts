import { useEffect, useRef } from 'react';
import { useNavigate } from 'react-router';

/** Where typing goes: `/` there is a character, not the shortcut. */
function isTyping(target: EventTarget | null): boolean {
  return target instanceof HTMLElement && (target.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName));
}

/**
 * The console's keyboard shortcuts, all in one place:
 * - `/` focuses the page's search field, as on GitHub and most consoles; a page without one
 *   goes to the instance list with its search focused;
 * - Ctrl+K (Cmd+K on a Mac) opens the command palette, also while typing in a field, as in
 *   the editors and consoles that have one.
 */
export function useShortcuts({ openPalette }: { openPalette: () => void }): void {
  const navigate = useNavigate();
  const palette = useRef(openPalette);
  palette.current = openPalette;
  useEffect(() => {
    const onKey = (event: KeyboardEvent): void => {
      if (event.key.toLowerCase() === 'k' && (event.ctrlKey || event.metaKey) && !event.altKey && !event.shiftKey) {
        event.preventDefault();
        palette.current();
        return;
      }
      if (event.key !== '/' || event.ctrlKey || event.metaKey || event.altKey || isTyping(event.target)) return;
      event.preventDefault();
      const search = document.querySelector<HTMLInputElement>('input[type="search"]');
      if (search) {
        search.focus();
        search.select();
      } else {
        void navigate('/?focus=search');
      }
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, [navigate]);
}
