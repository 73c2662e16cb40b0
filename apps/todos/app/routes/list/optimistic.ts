import { useRef } from 'react';
import { useFetchers } from 'react-router';
import type { Todo, TodoCounts } from '../../todos.server';
import { parseIntent, unhandledIntent, type Intent } from './intent';

/** A todo as the page shows it: `id` is null while its add is still in flight. */
export interface ViewTodo {
  key: string;
  id: number | null;
  title: string;
  completed: boolean;
}

export interface OptimisticView {
  todos: ViewTodo[];
  counts: TodoCounts;
}

interface Draft {
  list: ViewTodo[];
  total: number;
  done: number;
}

/**
 * One in-flight submission applied to the page and the whole-list counts. New todos go to the
 * end of the list, so they show only on its last page (`lastPage`).
 */
export function applyIntent(draft: Draft, intent: Intent, fetcherKey: string, lastPage: boolean): Draft {
  const { list, total, done } = draft;
  const known = (id: number) => list.find((todo) => todo.id === id);
  const removed = (id: number): Draft => {
    const todo = known(id);
    return {
      list: list.filter((item) => item.id !== id),
      total: todo ? total - 1 : total,
      done: todo?.completed ? done - 1 : done,
    };
  };
  switch (intent.intent) {
    case 'add':
      if (!intent.title) return draft;
      return { list: lastPage ? [...list, { key: fetcherKey, id: null, title: intent.title, completed: false }] : list, total: total + 1, done };
    case 'toggle': {
      const { id, completed } = intent;
      const todo = known(id);
      return {
        list: list.map((item) => (item.id === id ? { ...item, completed } : item)),
        total,
        done: todo && todo.completed !== completed ? done + (completed ? 1 : -1) : done,
      };
    }
    case 'toggle-all':
      return { list: list.map((todo) => ({ ...todo, completed: intent.completed })), total, done: intent.completed ? total : 0 };
    case 'edit':
      // An emptied title deletes the todo, as the action does.
      if (!intent.title) return removed(intent.id);
      return { list: list.map((todo) => (todo.id === intent.id ? { ...todo, title: intent.title } : todo)), total, done };
    case 'destroy':
      return removed(intent.id);
    case 'clear-completed':
      return { list: list.filter((todo) => !todo.completed), total: total - done, done: 0 };
    default:
      return unhandledIntent(intent);
  }
}

/** An add still in flight, as the matching below sees it. */
export interface InFlightAdd {
  key: string;
  title: string;
  /** The row's id once the add's answer is in. */
  addedId: number | null;
  /** The highest id the page held when the add was sent: its row, once stored, is above it. */
  sentAbove: number;
  /** The row an earlier render of the page showed for it, if one did. */
  shownAs: number | null;
}

/**
 * The in-flight adds whose rows the loader's page already holds, by fetcher key. The page can
 * reload between an add's commit and its answer (another submission's reload, the window
 * regaining focus); showing the add as pending as well would show the todo twice, and a click
 * meant for the row after it would land on the pending copy. An answered add names its row; an
 * unanswered one takes the first row above the ids it was sent after that has its title and
 * belongs to no other add (`owned`: rows of earlier adds). Two adds of one title may take each
 * other's rows: they look the same, and their answers set the keys right.
 *
 * Once the page has shown an add's row, the page is the truth for it: should the row go (deleted
 * before the add's answer came, or moved to another page), the add stays settled, mapped to a row
 * the page no longer holds, rather than showing as pending again.
 */
export function storedAdds(todos: readonly Todo[], adds: readonly InFlightAdd[], owned: ReadonlySet<number>): Map<string, number> {
  const stored = new Map<string, number>();
  const taken = new Set(owned);
  const onPage = new Set(todos.map((todo) => todo.id));
  for (const add of adds) {
    const id = add.addedId ?? add.shownAs;
    if (id === null) continue;
    if (onPage.has(id) || add.shownAs !== null) stored.set(add.key, id);
    taken.add(id);
  }
  for (const add of adds) {
    if (add.addedId !== null || add.shownAs !== null) continue;
    const row = todos.find((todo) => todo.id > add.sentAbove && todo.title === add.title && !taken.has(todo.id));
    if (!row) continue;
    stored.set(add.key, row.id);
    taken.add(row.id);
  }
  return stored;
}

/** The id an add's answer names (`{ addedId }`), if the fetcher holds that answer. */
function addedIdOf(data: unknown): number | null {
  const added: unknown = (data as { addedId?: unknown } | undefined)?.addedId;
  return typeof added === 'number' ? added : null;
}

/** The loader's page and whole-list counts with every in-flight submission applied: the optimistic view. */
export function useOptimisticTodos(todos: Todo[], serverCounts: TodoCounts, lastPage: boolean): OptimisticView {
  const fetchers = useFetchers();
  // A todo keeps the key it was shown under while its add was in flight, so React keeps its
  // item (an editor opened on it, its focus) when the page's reload brings the real row. The
  // add's answer names the id while the page reloads; the pair is remembered from then on.
  const keyOfAdded = useRef(new Map<number, string>()).current;
  // Per in-flight add, by fetcher key: the highest id on the page when it was sent, and the row
  // the page has shown for it.
  const sentAbove = useRef(new Map<string, number>()).current;
  const shownRow = useRef(new Map<string, number>()).current;
  const highestId = todos.reduce((highest, todo) => Math.max(highest, todo.id), 0);
  const intents: { key: string; intent: Intent }[] = [];
  const adds: InFlightAdd[] = [];
  for (const fetcher of fetchers) {
    const addedId = addedIdOf(fetcher.data);
    if (addedId !== null) keyOfAdded.set(addedId, fetcher.key);
    const intent = fetcher.formData ? parseIntent(fetcher.formData) : null;
    if (!intent) continue;
    intents.push({ key: fetcher.key, intent });
    if (intent.intent !== 'add' || !intent.title) continue;
    // A fetcher shows in the first render after its submission, before its request is sent.
    const above = sentAbove.get(fetcher.key) ?? highestId;
    sentAbove.set(fetcher.key, above);
    adds.push({ key: fetcher.key, title: intent.title, addedId, sentAbove: above, shownAs: shownRow.get(fetcher.key) ?? null });
  }
  const live = new Set(adds.map((add) => add.key));
  for (const key of sentAbove.keys()) if (!live.has(key)) sentAbove.delete(key);
  for (const key of shownRow.keys()) if (!live.has(key)) shownRow.delete(key);

  const stored = storedAdds(todos, adds, new Set(keyOfAdded.keys()));
  const onPage = new Set(todos.map((todo) => todo.id));
  for (const [key, id] of stored) if (onPage.has(id)) shownRow.set(key, id);
  const keyOfStored = new Map([...stored].map(([key, id]) => [id, key]));
  let draft: Draft = {
    list: todos.map((todo) => ({ key: keyOfAdded.get(todo.id) ?? keyOfStored.get(todo.id) ?? String(todo.id), ...todo })),
    total: serverCounts.total,
    done: serverCounts.completed,
  };
  // An add whose row is on the page already is counted there too.
  for (const { key, intent } of intents) if (!stored.has(key)) draft = applyIntent(draft, intent, key, lastPage);
  const { list, total, done } = draft;
  return { todos: list, counts: { total: Math.max(0, total), completed: Math.max(0, Math.min(done, total)) } };
}
