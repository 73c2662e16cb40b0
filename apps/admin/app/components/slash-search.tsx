import { useEffect } from 'react';
import { useNavigate } from 'react-router';

/** Where typing goes: `/` there is a character, not the shortcut. */
function isTyping(target: EventTarget | null): boolean {
  return target instanceof HTMLElement && (target.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName));
}

/**
 * `/` focuses the page's search field, as on GitHub and most consoles; a page without one
 * goes to the instance list with its search focused.
 */
export function useSlashSearch(): void {
  const navigate = useNavigate();
  useEffect(() => {
    const onKey = (event: KeyboardEvent): void => {
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
