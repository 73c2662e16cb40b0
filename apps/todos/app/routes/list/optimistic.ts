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

/** The loader's page and whole-list counts with every in-flight submission applied: the optimistic view. */
export function useOptimisticTodos(todos: Todo[], serverCounts: TodoCounts, lastPage: boolean): OptimisticView {
  const fetchers = useFetchers();
  // A todo keeps the key it was shown under while its add was in flight, so React keeps its
  // item (an editor opened on it, its focus) when the page's reload brings the real row. The
  // add's answer names the id while the page reloads; the pair is remembered from then on.
  const keyOfAdded = useRef(new Map<number, string>()).current;
  for (const fetcher of fetchers) {
    const added: unknown = (fetcher.data as { addedId?: unknown } | undefined)?.addedId;
    if (typeof added === 'number') keyOfAdded.set(added, fetcher.key);
  }
  let draft: Draft = { list: todos.map((todo) => ({ key: keyOfAdded.get(todo.id) ?? String(todo.id), ...todo })), total: serverCounts.total, done: serverCounts.completed };
  for (const fetcher of fetchers) {
    const intent = fetcher.formData ? parseIntent(fetcher.formData) : null;
    if (intent) draft = applyIntent(draft, intent, fetcher.key, lastPage);
  }
  const { list, total, done } = draft;
  return { todos: list, counts: { total: Math.max(0, total), completed: Math.max(0, Math.min(done, total)) } };
}
