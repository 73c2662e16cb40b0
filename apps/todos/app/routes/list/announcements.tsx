import { createContext, useCallback, useContext, useRef, useState, type ReactNode } from 'react';
import type { TodoCounts } from '../../todos.server';
import { applyIntent, type ViewTodo } from './optimistic';
import { unhandledIntent, type Intent } from './intent';

/**
 * What a screen reader hears about a change to the list: the page changes in place (no page
 * load, no focus moved to the change), so without a live region a todo added, deleted, toggled
 * or cleared, and the count of items left, change unheard.
 *
 * One message per change, from the change itself (useTodoSubmit), not from comparing renders:
 * the optimistic row and the reload that confirms it are one change, and a render of both would
 * be said twice. Refusals are not said here: they are alerts (answers.tsx, new-todo.tsx).
 */

const AnnounceContext = createContext<(intent: Intent) => void>(() => undefined);

/** Says what `intent` changes, worded from the page as it is when it is sent. */
export function useAnnounce(): (intent: Intent) => void {
  return useContext(AnnounceContext);
}

/** Longer titles (up to 1,000 characters) are cut: a message is heard whole. */
const SPOKEN_TITLE_LENGTH = 60;

function spoken(title: string | undefined): string {
  if (title === undefined) return 'a todo';
  return `“${title.length > SPOKEN_TITLE_LENGTH ? `${title.slice(0, SPOKEN_TITLE_LENGTH - 1)}…` : title}”`;
}

/**
 * Not "3 items left", the footer's words: a page would then hold that text twice, and a script
 * looking for it (TodoMVC's published specs do) would find two.
 */
function itemsLeft(count: number): string {
  return `Items left: ${count}.`;
}

/** The message for `intent` sent on a page showing `todos` with the whole list's `counts`. */
export function changeMessage(intent: Intent, todos: readonly ViewTodo[], counts: TodoCounts, lastPage: boolean): string {
  const after = applyIntent({ list: [...todos], total: counts.total, done: counts.completed }, intent, 'announced', lastPage);
  const left = itemsLeft(Math.max(0, after.total - after.done));
  const titleOf = (id: number) => todos.find((todo) => todo.id === id)?.title;
  switch (intent.intent) {
    case 'add':
      // A todo added from an earlier page of a long list lands on the last one.
      return `Added ${spoken(intent.title)}${lastPage ? '' : ' at the end of the list'}. ${left}`;
    case 'toggle': {
      const todo = spoken(titleOf(intent.id));
      return `${todo.charAt(0).toUpperCase()}${todo.slice(1)} ${intent.completed ? 'completed' : 'marked as not completed'}. ${left}`;
    }
    case 'toggle-all':
      return `${intent.completed ? 'All todos completed' : 'All todos marked as not completed'}. ${left}`;
    case 'edit':
      return intent.title ? `Changed to ${spoken(intent.title)}.` : `Deleted ${spoken(titleOf(intent.id))}. ${left}`;
    case 'destroy':
      return `Deleted ${spoken(titleOf(intent.id))}. ${left}`;
    case 'clear-completed': {
      const cleared = counts.completed;
      return `Cleared ${cleared} completed ${cleared === 1 ? 'todo' : 'todos'}. ${left}`;
    }
    default:
      return unhandledIntent(intent);
  }
}

/**
 * Provides useAnnounce below it and renders the live region: polite (it waits until the screen
 * reader is done with what it says, such as the field just typed in), atomic (the message is
 * said whole). The region is on the page from the start: one that appears with its text is
 * often not announced.
 */
export function ListAnnouncements({ todos, counts, lastPage, children }: { todos: readonly ViewTodo[]; counts: TodoCounts; lastPage: boolean; children: ReactNode }) {
  // The page as the last render showed it, read when a change is sent (in an event handler).
  const page = useRef({ todos, counts, lastPage });
  page.current = { todos, counts, lastPage };
  const [message, setMessage] = useState<{ id: number; text: string } | null>(null);
  const announce = useCallback((intent: Intent) => {
    const { todos: shown, counts: now, lastPage: last } = page.current;
    const text = changeMessage(intent, shown, now, last);
    setMessage((previous) => ({ id: (previous?.id ?? 0) + 1, text }));
  }, []);
  return (
    <AnnounceContext.Provider value={announce}>
      {children}
      <div className="visually-hidden" role="status" aria-live="polite" aria-atomic="true" data-testid="list-status">
        {/* A new element per message: the same words twice in a row (a todo added twice) are said twice. */}
        {message && <span key={message.id}>{message.text}</span>}
      </div>
    </AnnounceContext.Provider>
  );
}
