import { useEffect, useRef, type HTMLAttributes, type ReactNode } from 'react';

/**
 * A wide table's horizontally scrolling wrapper (`.table-wrap`). While its content is wider
 * than it (a phone, many columns), it is a labelled region in the tab order, so the keyboard
 * can scroll it too (WCAG 2.1.1; axe: scrollable-region-focusable); when everything fits it is
 * a plain box and no extra tab stop.
 */
export function ScrollRegion({ label, className, children, ...rest }: { label: string; className?: string; children: ReactNode } & HTMLAttributes<HTMLDivElement>) {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const box = ref.current;
    if (!box) return;
    const update = (): void => {
      if (box.scrollWidth > box.clientWidth + 1) {
        box.tabIndex = 0;
        box.setAttribute('role', 'region');
        box.setAttribute('aria-label', `${label} (scrolls sideways)`);
      } else {
        box.removeAttribute('tabindex');
        box.removeAttribute('role');
        box.removeAttribute('aria-label');
      }
    };
    update();
    const observer = new ResizeObserver(update);
    observer.observe(box);
    for (const child of Array.from(box.children)) observer.observe(child);
    return () => observer.disconnect();
  });
  return (
    <div ref={ref} className={`table-wrap${className ? ` ${className}` : ''}`} {...rest}>
      {children}
    </div>
  );
}
