import { readForm } from '@silo/web';
import { useEffect, useRef, useState, type FormEvent, type KeyboardEvent } from 'react';
import { Form, Link, NavLink, data, redirect, useFetchers, useNavigate, useRevalidator, useSubmit } from 'react-router';
import { requireCsrf, requireViewer } from '../auth.server';
import { CsrfField, useTenant } from '../components/tenant-data';
import { useHydrated } from '../components/hydrated';
import { MAX_FORM_BYTES } from '../config.server';
import { CSRF_FIELD, JS_FIELD, TITLE_MAX_LENGTH } from '../forms';
import type { Todo } from '../todos.server';
import {
  addTodo,
  clearCompleted,
  deleteTodo,
  listTodos,
  renameTodo,
  setAllCompleted,
  setCompleted,
  touchMetrics,
} from '../todos.server';
import type { Route } from './+types/list';

type Filter = 'all' | 'active' | 'completed';

export function meta({ loaderData }: Route.MetaArgs) {
  return [{ title: loaderData ? `${loaderData.displayName} · todos` : 'todos' }];
}

export async function loader({ context, request, url }: Route.LoaderArgs) {
  const { tenant } = requireViewer(context, request);
  // `url`, not `request.url`: since React Router 8 the request is the raw one (`/active.data`
  // for client navigations); `url` is the page's address.
  const base = `/t/${tenant.name}`;
  const filter: Filter = url.pathname === `${base}/active` ? 'active' : url.pathname === `${base}/completed` ? 'completed' : 'all';
  const edit = Number(url.searchParams.get('edit'));
  return {
    todos: await listTodos(tenant.db),
    filter,
    editId: Number.isSafeInteger(edit) && edit > 0 ? edit : null,
    displayName: tenant.instance.displayName,
  };
}

function titleOf(value: FormDataEntryValue | null): string {
  return typeof value === 'string' ? value.trim() : '';
}

export async function action({ context, request }: Route.ActionArgs) {
  const { tenant, viewer } = requireViewer(context, request);
  const form = await readForm(request, MAX_FORM_BYTES);
  requireCsrf(form, viewer);
  const { db } = tenant;
  const id = Number(form.get('id'));
  const title = titleOf(form.get('title'));
  if (title.length > TITLE_MAX_LENGTH) {
    return data({ error: `A todo can have at most ${TITLE_MAX_LENGTH} characters.` }, { status: 400 });
  }
  switch (form.get('intent')) {
    case 'add':
      if (title) await addTodo(db, title);
      break;
    case 'toggle':
      await setCompleted(db, id, form.get('completed') === 'true');
      break;
    case 'toggle-all':
      await setAllCompleted(db, form.get('completed') === 'true');
      break;
    case 'edit':
      if (title) await renameTodo(db, id, title);
      else await deleteTodo(db, id);
      break;
    case 'destroy':
      await deleteTodo(db, id);
      break;
    case 'clear-completed':
      await clearCompleted(db);
      break;
    default:
      return data({ error: 'Unknown action.' }, { status: 400 });
  }
  await touchMetrics(tenant);
  if (form.get(JS_FIELD) === '1') return { error: null };
  // Without JavaScript: post, redirect, get (a reload never repeats the write).
  const url = new URL(request.url);
  url.searchParams.delete('edit');
  url.searchParams.delete('index');
  return redirect(url.pathname + url.search, 303);
}

interface ViewTodo {
  key: string;
  id: number | null;
  title: string;
  completed: boolean;
}

/** The loader's todos with every in-flight submission applied: the optimistic view. */
function useOptimisticTodos(todos: Todo[]): ViewTodo[] {
  const fetchers = useFetchers();
  let list: ViewTodo[] = todos.map((todo) => ({ key: String(todo.id), ...todo }));
  for (const fetcher of fetchers) {
    const form = fetcher.formData;
    if (!form) continue;
    const id = Number(form.get('id'));
    const completed = form.get('completed') === 'true';
    const title = titleOf(form.get('title'));
    switch (form.get('intent')) {
      case 'add':
        if (title) list.push({ key: fetcher.key, id: null, title, completed: false });
        break;
      case 'toggle':
        list = list.map((todo) => (todo.id === id ? { ...todo, completed } : todo));
        break;
      case 'toggle-all':
        list = list.map((todo) => ({ ...todo, completed }));
        break;
      case 'edit':
        list = title ? list.map((todo) => (todo.id === id ? { ...todo, title } : todo)) : list.filter((todo) => todo.id !== id);
        break;
      case 'destroy':
        list = list.filter((todo) => todo.id !== id);
        break;
      case 'clear-completed':
        list = list.filter((todo) => !todo.completed);
        break;
    }
  }
  return list;
}

/**
 * A checkbox's value from the click until the optimistic data catches up: a fetcher's
 * submission can start a tick later (route discovery), and a controlled checkbox would
 * otherwise flip back meanwhile.
 */
function useLatched(actual: boolean): [boolean, (value: boolean) => void] {
  const [latched, setLatched] = useState<boolean | null>(null);
  if (latched !== null && latched === actual) setLatched(null);
  return [latched ?? actual, setLatched];
}

let submissionCounter = 0;

/** Submits through a fetcher of its own, so quick successive changes all stay in flight. */
function useTodoSubmit(): (fields: Record<string, string>) => void {
  const submit = useSubmit();
  const { csrf } = useTenant();
  return (fields) => {
    const form = new FormData();
    for (const [name, value] of Object.entries(fields)) form.set(name, value);
    form.set(CSRF_FIELD, csrf);
    form.set(JS_FIELD, '1');
    submissionCounter += 1;
    void submit(form, { method: 'post', navigate: false, fetcherKey: `todo-${Date.now()}-${submissionCounter}` });
  };
}

/** Another browser's changes show up when this tab regains focus. */
function useRevalidateOnFocus(): void {
  const { revalidate } = useRevalidator();
  useEffect(() => {
    const onFocus = () => {
      if (document.visibilityState === 'visible') void revalidate();
    };
    window.addEventListener('focus', onFocus);
    document.addEventListener('visibilitychange', onFocus);
    return () => {
      window.removeEventListener('focus', onFocus);
      document.removeEventListener('visibilitychange', onFocus);
    };
  }, [revalidate]);
}

export default function TodoListPage({ loaderData, actionData }: Route.ComponentProps) {
  const { name } = useTenant();
  const todos = useOptimisticTodos(loaderData.todos);
  const busy = useFetchers().some((fetcher) => fetcher.state !== 'idle');
  useRevalidateOnFocus();
  const remaining = todos.filter((todo) => !todo.completed).length;
  const completedCount = todos.length - remaining;
  const visible = todos.filter((todo) =>
    loaderData.filter === 'active' ? !todo.completed : loaderData.filter === 'completed' ? todo.completed : true,
  );
  const base = `/t/${name}`;
  const error = actionData && 'error' in actionData ? actionData.error : null;
  return (
    <main className="page">
      <section className="todoapp" aria-label="Todos" aria-busy={busy || undefined}>
        <header className="header">
          <h1>todos</h1>
          <NewTodo />
          {error && (
            <p className="form-error" role="alert">
              {error}
            </p>
          )}
        </header>
        {todos.length > 0 && (
          <section className="main" aria-label="Todo list">
            <ToggleAll allCompleted={remaining === 0} />
            <ul className="todo-list">
              {visible.map((todo) => (
                <TodoItem key={todo.key} todo={todo} editingFromUrl={todo.id !== null && todo.id === loaderData.editId} />
              ))}
            </ul>
          </section>
        )}
        {todos.length > 0 && (
          <footer className="footer">
            <span className="todo-count">
              <strong>{remaining}</strong> {remaining === 1 ? 'item' : 'items'} left
            </span>
            <ul className="filters" aria-label="Show">
              <li>
                <FilterLink to={base} label="All" />
              </li>
              <li>
                <FilterLink to={`${base}/active`} label="Active" />
              </li>
              <li>
                <FilterLink to={`${base}/completed`} label="Completed" />
              </li>
            </ul>
            {completedCount > 0 && <ClearCompleted />}
          </footer>
        )}
      </section>
      <p className="hint">Double-click a todo (or use its Edit link) to change it.</p>
    </main>
  );
}

function FilterLink({ to, label }: { to: string; label: string }) {
  return (
    <NavLink to={to} end className={({ isActive }) => (isActive ? 'selected' : undefined)}>
      {label}
    </NavLink>
  );
}

function Hidden({ fields }: { fields: Record<string, string> }) {
  return (
    <>
      {Object.entries(fields).map(([name, value]) => (
        <input key={name} type="hidden" name={name} value={value} />
      ))}
      <CsrfField />
    </>
  );
}

function NewTodo() {
  const submitTodo = useTodoSubmit();
  const input = useRef<HTMLInputElement>(null);
  const onSubmit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const field = input.current;
    if (!field) return;
    const title = field.value.trim();
    if (title) submitTodo({ intent: 'add', title });
    field.value = '';
  };
  return (
    <Form method="post" onSubmit={onSubmit}>
      <Hidden fields={{ intent: 'add' }} />
      <label htmlFor="new-todo" className="visually-hidden">
        New todo
      </label>
      <input
        ref={input}
        id="new-todo"
        className="new-todo"
        name="title"
        placeholder="What needs to be done?"
        autoComplete="off"
        maxLength={TITLE_MAX_LENGTH}
        autoFocus
      />
    </Form>
  );
}

function ToggleAll({ allCompleted }: { allCompleted: boolean }) {
  const hydrated = useHydrated();
  const submitTodo = useTodoSubmit();
  const [checked, setChecked] = useLatched(allCompleted);
  const next = String(!allCompleted);
  return (
    <Form method="post" className="toggle-all-form" onSubmit={(event) => event.preventDefault()}>
      <Hidden fields={{ intent: 'toggle-all', completed: next }} />
      {hydrated ? (
        <>
          <input
            id="toggle-all"
            className="toggle-all"
            type="checkbox"
            checked={checked}
            onChange={() => {
              setChecked(!checked);
              submitTodo({ intent: 'toggle-all', completed: String(!checked) });
            }}
          />
          <label htmlFor="toggle-all" className="visually-hidden">
            Mark all as complete
          </label>
        </>
      ) : (
        // Without JavaScript a checkbox cannot submit: the same control as a submit button.
        <button type="submit" className="toggle-all" role="checkbox" aria-checked={allCompleted} aria-label="Mark all as complete" />
      )}
    </Form>
  );
}

function TodoItem({ todo, editingFromUrl }: { todo: ViewTodo; editingFromUrl: boolean }) {
  const hydrated = useHydrated();
  const submitTodo = useTodoSubmit();
  const navigate = useNavigate();
  const [editing, setEditing] = useState(false);
  const finished = useRef(false);
  const editInput = useRef<HTMLInputElement>(null);
  const isEditing = editing || editingFromUrl;
  const [checked, setChecked] = useLatched(todo.completed);
  const pending = todo.id === null;
  const id = String(todo.id ?? '');

  const startEditing = () => {
    if (pending) return;
    finished.current = false;
    setEditing(true);
  };
  const stopEditing = () => {
    finished.current = true;
    setEditing(false);
    if (editingFromUrl) void navigate('.', { replace: true });
  };
  const save = (value: string) => {
    if (finished.current) return;
    const title = value.trim();
    if (!title) submitTodo({ intent: 'destroy', id });
    else if (title !== todo.title) submitTodo({ intent: 'edit', id, title });
    stopEditing();
  };
  const onEditKeyDown = (event: KeyboardEvent<HTMLInputElement>) => {
    if (event.key === 'Escape') {
      event.preventDefault();
      stopEditing();
    }
  };
  useEffect(() => {
    if (isEditing) editInput.current?.focus();
  }, [isEditing]);

  const classes = [todo.completed ? 'completed' : '', isEditing ? 'editing' : '', pending ? 'pending' : ''].filter(Boolean).join(' ');
  const toggleTo = String(!todo.completed);
  return (
    <li className={classes || undefined} data-testid="todo-item">
      <div className="view">
        <Form method="post" className="item-form" onSubmit={(event) => event.preventDefault()}>
          <Hidden fields={{ intent: 'toggle', id, completed: toggleTo }} />
          {hydrated ? (
            <input
              className="toggle"
              type="checkbox"
              checked={checked}
              disabled={pending}
              aria-label={`Completed: ${todo.title}`}
              onChange={() => {
                setChecked(!checked);
                submitTodo({ intent: 'toggle', id, completed: String(!checked) });
              }}
            />
          ) : (
            <button type="submit" className="toggle" role="checkbox" aria-checked={todo.completed} aria-label={`Completed: ${todo.title}`} />
          )}
        </Form>
        <label onDoubleClick={startEditing}>{todo.title}</label>
        <Link
          className="edit-link"
          to={`?edit=${id}`}
          aria-label={`Edit: ${todo.title}`}
          onClick={(event) => {
            event.preventDefault();
            startEditing();
          }}
        >
          Edit
        </Link>
        <Form
          method="post"
          className="item-form"
          onSubmit={(event) => {
            event.preventDefault();
            if (!pending) submitTodo({ intent: 'destroy', id });
          }}
        >
          <Hidden fields={{ intent: 'destroy', id }} />
          <button type="submit" className="destroy" aria-label={`Delete: ${todo.title}`} disabled={pending} />
        </Form>
      </div>
      {isEditing && (
        <Form
          method="post"
          className="edit-form"
          onSubmit={(event) => {
            event.preventDefault();
            save(editInput.current?.value ?? '');
          }}
        >
          <Hidden fields={{ intent: 'edit', id }} />
          <input
            ref={editInput}
            className="edit"
            name="title"
            defaultValue={todo.title}
            maxLength={TITLE_MAX_LENGTH}
            aria-label={`Edit: ${todo.title}`}
            autoComplete="off"
            autoFocus={editingFromUrl}
            onBlur={(event) => save(event.currentTarget.value)}
            onKeyDown={onEditKeyDown}
          />
        </Form>
      )}
    </li>
  );
}

function ClearCompleted() {
  const submitTodo = useTodoSubmit();
  return (
    <Form
      method="post"
      className="item-form"
      onSubmit={(event) => {
        event.preventDefault();
        submitTodo({ intent: 'clear-completed' });
      }}
    >
      <Hidden fields={{ intent: 'clear-completed' }} />
      <button type="submit" className="clear-completed">
        Clear completed
      </button>
    </Form>
  );
}
