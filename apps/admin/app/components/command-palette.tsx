import { useEffect, useId, useRef, useState } from 'react';
import { useNavigate } from 'react-router';

export interface PalettePage {
  to: string;
  label: string;
}

interface Option {
  id: string;
  to: string;
  label: string;
  hint?: string;
}

interface FoundInstance {
  name: string;
  displayName: string;
  state: string;
}

/** Typing pauses this long before the catalog is searched. */
const DEBOUNCE_MS = 150;

/** The catalog's instances matching `query`, debounced; stale answers are dropped. */
function useInstanceSearch(query: string, open: boolean): FoundInstance[] {
  const [found, setFound] = useState<FoundInstance[]>([]);
  useEffect(() => {
    if (!open) return;
    const abort = new AbortController();
    const timer = setTimeout(() => {
      fetch(`/palette?q=${encodeURIComponent(query)}`, { signal: abort.signal, headers: { Accept: 'application/json' } })
        .then((response) => (response.ok ? (response.json() as Promise<{ instances: FoundInstance[] }>) : { instances: [] }))
        .then((body) => setFound(body.instances))
        .catch(() => undefined);
    }, DEBOUNCE_MS);
    return () => {
      clearTimeout(timer);
      abort.abort();
    };
  }, [query, open]);
  return found;
}

/**
 * Ctrl/Cmd+K: go to a page or an instance by typing. A modal dialog holding an editable
 * combobox and its listbox (the ARIA 1.2 pattern): arrows move the active option, Enter opens
 * it, Escape closes, and focus goes back to where it was.
 */
export function CommandPalette({ open, onClose, pages }: { open: boolean; onClose: () => void; pages: readonly PalettePage[] }) {
  const dialogRef = useRef<HTMLDialogElement>(null);
  const inputRef = useRef<HTMLInputElement>(null);
  const returnFocus = useRef<HTMLElement | null>(null);
  const navigate = useNavigate();
  const [query, setQuery] = useState('');
  const [active, setActive] = useState(0);
  const id = useId();
  const instances = useInstanceSearch(query, open);

  useEffect(() => {
    const dialog = dialogRef.current;
    if (!dialog) return;
    if (open && !dialog.open) {
      returnFocus.current = document.activeElement instanceof HTMLElement ? document.activeElement : null;
      setQuery('');
      setActive(0);
      dialog.showModal();
      inputRef.current?.focus();
    } else if (!open && dialog.open) dialog.close();
  }, [open]);

  const needle = query.trim().toLowerCase();
  const pageOptions: Option[] = pages.filter((page) => page.label.toLowerCase().includes(needle)).map((page) => ({ id: `${id}-page-${page.to}`, to: page.to, label: page.label }));
  const instanceOptions: Option[] = instances.flatMap((instance) => [
    { id: `${id}-i-${instance.name}`, to: `/instances/${instance.name}`, label: instance.name, hint: instance.displayName !== instance.name ? instance.displayName : instance.state },
    ...(instance.state === 'ready' ? [{ id: `${id}-c-${instance.name}`, to: `/instances/${instance.name}/console`, label: `${instance.name}: SQL console` }] : []),
  ]);
  const options = [...pageOptions, ...instanceOptions];
  const current = Math.min(active, Math.max(0, options.length - 1));
  const listId = `${id}-list`;

  const choose = (option: Option | undefined): void => {
    if (!option) return;
    // Going somewhere else: focus belongs to the new page, not back on the old one.
    returnFocus.current = null;
    onClose();
    void navigate(option.to);
  };

  const group = (label: string, items: Option[], offset: number) =>
    items.length > 0 ? (
      <ul role="group" aria-labelledby={`${id}-${label}`} className="palette-group">
        <li role="presentation" id={`${id}-${label}`} className="palette-heading">
          {label}
        </li>
        {items.map((option, index) => (
          <li
            key={option.id}
            id={option.id}
            role="option"
            aria-selected={offset + index === current}
            className={offset + index === current ? 'active' : undefined}
            onMouseMove={() => setActive(offset + index)}
            onClick={() => choose(option)}
          >
            {option.label}
            {option.hint ? <span className="muted small"> {option.hint}</span> : null}
          </li>
        ))}
      </ul>
    ) : null;

  return (
    <dialog
      ref={dialogRef}
      className="palette"
      aria-label="Command palette"
      onClose={() => {
        onClose();
        returnFocus.current?.focus();
        returnFocus.current = null;
      }}
      onClick={(event) => {
        // A click on the backdrop (the dialog itself, outside its content) closes it.
        if (event.target === dialogRef.current) dialogRef.current.close();
      }}
    >
      <label htmlFor={`${id}-input`} className="palette-label">
        Go to a page or an instance
      </label>
      <input
        ref={inputRef}
        id={`${id}-input`}
        role="combobox"
        aria-expanded={options.length > 0}
        aria-controls={listId}
        aria-autocomplete="list"
        aria-activedescendant={options[current]?.id}
        autoComplete="off"
        spellCheck={false}
        value={query}
        placeholder="Type a page or an instance name"
        onChange={(event) => {
          setQuery(event.currentTarget.value);
          setActive(0);
        }}
        onKeyDown={(event) => {
          if (event.key === 'ArrowDown') setActive((current + 1) % Math.max(1, options.length));
          else if (event.key === 'ArrowUp') setActive((current - 1 + options.length) % Math.max(1, options.length));
          else if (event.key === 'Home' && event.ctrlKey) setActive(0);
          else if (event.key === 'End' && event.ctrlKey) setActive(options.length - 1);
          else if (event.key === 'Enter') choose(options[current]);
          else return;
          event.preventDefault();
        }}
      />
      <div id={listId} role="listbox" aria-label="Pages and instances" className="palette-list">
        {group('Pages', pageOptions, 0)}
        {group('Instances', instanceOptions, pageOptions.length)}
      </div>
      {options.length === 0 ? (
        <p className="muted small" role="status">
          Nothing matches “{query}”.
        </p>
      ) : null}
      <p className="muted small palette-keys">↑ ↓ to move · Enter to open · Esc to close</p>
    </dialog>
  );
}
