import { readForm } from '@silo/web';
import { useEffect, useRef, useState, type FormEvent, type KeyboardEvent } from 'react';
import { Form, Link, NavLink, data, redirect, useFetcher, useFetchers, useNavigate, useRevalidator, useSubmit } from 'react-router';
import { requireCsrf, requireViewer } from '../auth.server';
import { CsrfField, useTenant } from '../components/tenant-data';
import { useHydrated } from '../components/hydrated';
import { MAX_FORM_BYTES, appConfig } from '../config.server';
import { CSRF_FIELD, JS_FIELD, TITLE_MAX_LENGTH } from '../forms';
import { storageRefusal } from '../storage.server';
import type { Filter, Todo, TodoCounts } from '../todos.server';
import {
  addTodo,
  clearCompleted,
  deleteTodo,
  listPage,
  renameTodo,
  setAllCompleted,
  setCompleted,
  todoCounts,
  touchMetrics,
} from '../todos.server';
import type { Route } from './+types/list';

export function meta({ loaderData }: Route.MetaArgs) {
  return [{ title: loaderData ? `${loaderData.displayName} · todos` : 'todos' }];
}

/** A keyset cursor from the URL: a positive integer id, or nothing. */
function cursor(value: string | null): number | undefined {
  const id = Number(value);
  return value !== null && Number.isSafeInteger(id) && id > 0 ? id : undefined;
}

export async function loader({ context, request, url }: Route.LoaderArgs) {
  const { tenant } = requireViewer(context, request);
  // `url`, not `request.url`: since React Router 8 the request is the raw one (`/active.data`
  // for client navigations); `url` is the page's address.
  const base = `/t/${tenant.name}`;
  const filter: Filter = url.pathname === `${base}/active` ? 'active' : url.pathname === `${base}/completed` ? 'completed' : 'all';
  const edit = Number(url.searchParams.get('edit'));
  const after = cursor(url.searchParams.get('after'));
  const before = after === undefined ? cursor(url.searchParams.get('before')) : undefined;
  const { todosPageSize, maxTodosPerList } = appConfig();
  // One page, never the whole list: a page stays small whatever the list holds.
  const page = await listPage(tenant.db, { filter, after, before, size: todosPageSize });
  return {
    todos: page.todos,
    page: { before: page.before, after: page.after, at: after !== undefined ? `after=${after}` : before !== undefined ? `before=${before}` : '' },
    counts: await todoCounts(tenant.db, maxTodosPerList + 1),
    maxTodos: maxTodosPerList,
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
  let addedId: number | null = null;
  if (title.length > TITLE_MAX_LENGTH) {
    return data({ error: `A todo can have at most ${TITLE_MAX_LENGTH} characters.`, title: title.slice(0, TITLE_MAX_LENGTH), addedId }, { status: 400 });
  }
  try {
    switch (form.get('intent')) {
      case 'add': {
        const max = appConfig().maxTodosPerList;
        // 409: the request is fine but the list is full; deleting todos resolves it. Not a 5xx:
        // nothing is wrong with the server, and clients must not retry. The title comes back so
        // the form keeps it.
        if (!title) break;
        addedId = await addTodo(db, title, max);
        if (addedId === null) return data({ error: listFullMessage(max), title, addedId }, { status: 409 });
        break;
      }
      case 'toggle':
        await setCompleted(db, id, form.get('completed') === 'true');
        break;
      case 'toggle-all':
        await setAllCompleted(db, form.get('completed') === 'true', appConfig().maxTodosPerList);
        break;
      case 'edit':
        if (title) await renameTodo(db, id, title);
        else await deleteTodo(db, id);
        break;
      case 'destroy':
        await deleteTodo(db, id);
        break;
      case 'clear-completed':
        await clearCompleted(db, appConfig().maxTodosPerList);
        break;
      default:
        return data({ error: 'Unknown action.', title: '', addedId: null }, { status: 400 });
    }
  } catch (error) {
    // A write refused for space (the list's size cap, or a full server disk) changed nothing:
    // say so in the form and keep what was typed.
    const refusal = storageRefusal(error);
    if (refusal) return data({ error: refusal, title, addedId: null }, { status: 507 });
    throw error;
  }
  const counts = await touchMetrics(tenant, appConfig().maxTodosPerList + 1);
  if (form.get(JS_FIELD) === '1') return { error: null, title: '', addedId };
  // Without JavaScript: post, redirect, get (a reload never repeats the write).
  const url = new URL(request.url);
  url.searchParams.delete('edit');
  url.searchParams.delete('index');
  if (addedId !== null && counts.total > appConfig().todosPageSize) {
    // A new todo goes to the end of a long list: show the page it is on.
    url.searchParams.delete('after');
    url.searchParams.set('before', String(addedId + 1));
  }
  return redirect(url.pathname + url.search, 303);
}

function listFullMessage(max: number): string {
  return `This list holds ${max.toLocaleString('en')} todos, its limit. Delete some or clear completed ones to add more.`;
}

interface ViewTodo {
  key: string;
  id: number | null;
  title: string;
  completed: boolean;
}

interface OptimisticView {
  todos: ViewTodo[];
  counts: TodoCounts;
}

/**
 * The loader's page and whole-list counts with every in-flight submission applied: the
 * optimistic view. New todos go to the end of the list, so they show only on its last page.
 */
function useOptimisticTodos(todos: Todo[], serverCounts: TodoCounts, lastPage: boolean): OptimisticView {
  const fetchers = useFetchers();
  let list: ViewTodo[] = todos.map((todo) => ({ key: String(todo.id), ...todo }));
  let { total, completed: done } = serverCounts;
  const known = (id: number) => list.find((todo) => todo.id === id);
  for (const fetcher of fetchers) {
    const form = fetcher.formData;
    if (!form) continue;
    const id = Number(form.get('id'));
    const completed = form.get('completed') === 'true';
    const title = titleOf(form.get('title'));
    const intent = form.get('intent');
    switch (intent) {
      case 'add':
        if (!title) break;
        total += 1;
        if (lastPage) list.push({ key: fetcher.key, id: null, title, completed: false });
        break;
      case 'toggle': {
        const todo = known(id);
        if (todo && todo.completed !== completed) done += completed ? 1 : -1;
        list = list.map((item) => (item.id === id ? { ...item, completed } : item));
        break;
      }
      case 'toggle-all':
        done = completed ? total : 0;
        list = list.map((todo) => ({ ...todo, completed }));
        break;
      case 'edit':
      case 'destroy': {
        if (intent === 'edit' && title) {
          list = list.map((todo) => (todo.id === id ? { ...todo, title } : todo));
          break;
        }
        const todo = known(id);
        if (todo) {
          total -= 1;
          if (todo.completed) done -= 1;
        }
        list = list.filter((item) => item.id !== id);
        break;
      }
      case 'clear-completed':
        total -= done;
        done = 0;
        list = list.filter((todo) => !todo.completed);
        break;
    }
  }
  return { todos: list, counts: { total: Math.max(0, total), completed: Math.max(0, Math.min(done, total)) } };
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

/**
 * Submits through a fetcher of its own, so quick successive changes all stay in flight.
 * Returns the fetcher's key, for a caller that wants the answer.
 */
function useTodoSubmit(): (fields: Record<string, string>) => string {
  const submit = useSubmit();
  const { csrf } = useTenant();
  return (fields) => {
    const form = new FormData();
    for (const [name, value] of Object.entries(fields)) form.set(name, value);
    form.set(CSRF_FIELD, csrf);
    form.set(JS_FIELD, '1');
    submissionCounter += 1;
    const fetcherKey = `todo-${Date.now()}-${submissionCounter}`;
    void submit(form, { method: 'post', navigate: false, fetcherKey });
    return fetcherKey;
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
  const lastPage = loaderData.page.after === null;
  const { todos, counts } = useOptimisticTodos(loaderData.todos, loaderData.counts, lastPage);
  const busy = useFetchers().some((fetcher) => fetcher.state !== 'idle');
  useRevalidateOnFocus();
  const remaining = counts.total - counts.completed;
  const visible = todos.filter((todo) =>
    loaderData.filter === 'active' ? !todo.completed : loaderData.filter === 'completed' ? todo.completed : true,
  );
  const base = `/t/${name}`;
  const serverError = actionData && 'error' in actionData && actionData.error ? { message: actionData.error, title: actionData.title } : null;
  const { page } = loaderData;
  return (
    <main className="page">
      <section className="todoapp" aria-label="Todos" aria-busy={busy || undefined}>
        <header className="header">
          <h1>todos</h1>
          <NewTodo total={counts.total} max={loaderData.maxTodos} serverError={serverError} lastPage={lastPage} />
        </header>
        {counts.total > 0 && (
          <section className="main" aria-label="Todo list">
            <ToggleAll allCompleted={remaining === 0} />
            <ActionLabels />
            <ul className="todo-list">
              {visible.map((todo) => (
                <TodoItem key={todo.key} todo={todo} editingFromUrl={todo.id !== null && todo.id === loaderData.editId} at={page.at} />
              ))}
            </ul>
          </section>
        )}
        {(page.before !== null || page.after !== null) && <Pager before={page.before} after={page.after} />}
        {counts.total > 0 && (
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
            {counts.completed > 0 && <ClearCompleted />}
          </footer>
        )}
      </section>
      <p className="hint">Double-click a todo (or use its Edit link) to change it.</p>
    </main>
  );
}

/** Links to the neighbouring pages of a long list (keyset cursors: ids, not offsets). */
function Pager({ before, after }: { before: number | null; after: number | null }) {
  return (
    <nav className="pager" aria-label="Pages of this list">
      {before !== null ? (
        <Link to={`?before=${before}`} rel="prev">
          ← Earlier todos
        </Link>
      ) : (
        <span />
      )}
      {after !== null && (
        <Link to={`?after=${after}`} rel="next">
          Later todos →
        </Link>
      )}
    </nav>
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

interface ServerError {
  message: string;
  title: string;
}

/**
 * The new-todo field. A full list is refused here already (the text stays in the field);
 * should the server refuse an add anyway (another member filled the list meanwhile), its
 * answer is shown and the text put back.
 */
function NewTodo({ total, max, serverError, lastPage }: { total: number; max: number; serverError: ServerError | null; lastPage: boolean }) {
  const submitTodo = useTodoSubmit();
  const input = useRef<HTMLInputElement>(null);
  const [clientError, setClientError] = useState<string | null>(null);
  // A todo added while an earlier page is shown lands on the last page: say so, with a link.
  const [addedElsewhere, setAddedElsewhere] = useState<number | null>(null);
  const [adds, setAdds] = useState<{ key: string; title: string }[]>([]);
  const onSubmit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const field = input.current;
    if (!field) return;
    const title = field.value.trim();
    if (!title) {
      field.value = '';
      return;
    }
    if (total >= max) {
      setClientError(`This list holds ${max.toLocaleString('en')} todos, its limit. Delete some or clear completed ones to add more.`);
      return;
    }
    setClientError(null);
    const key = submitTodo({ intent: 'add', title });
    setAdds((current) => [...current, { key, title }]);
    field.value = '';
  };
  const settled = (key: string, answer: AddAnswer, title: string) => {
    setAdds((current) => current.filter((add) => add.key !== key));
    const { error } = answer;
    if (!error) {
      if (!lastPage && answer.addedId) setAddedElsewhere(answer.addedId);
      return;
    }
    setClientError(error);
    if (input.current && !input.current.value) input.current.value = title;
  };
  const error = clientError ?? serverError?.message ?? null;
  return (
    <Form method="post" onSubmit={onSubmit}>
      <Hidden fields={{ intent: 'add' }} />
      {/* Above the field: the toggle-all control sits beside the field, just above the list. */}
      {error && (
        <p className="form-error" id="new-todo-error" role="alert">
          {error}
        </p>
      )}
      {addedElsewhere !== null && !error && !lastPage && (
        <p className="notice" role="status">
          Added at the end of the list. <Link to={`?before=${addedElsewhere + 1}`}>Show it</Link>
        </p>
      )}
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
        defaultValue={serverError?.title ?? ''}
        aria-invalid={error ? true : undefined}
        aria-describedby={error ? 'new-todo-error' : undefined}
        autoFocus
      />
      {adds.map((add) => (
        <AddResult key={add.key} fetcherKey={add.key} onSettled={(answer) => settled(add.key, answer, add.title)} />
      ))}
    </Form>
  );
}

interface AddAnswer {
  error: string | null;
  addedId?: number | null;
}

/** Watches one add's fetcher and reports its answer once it has one. */
function AddResult({ fetcherKey, onSettled }: { fetcherKey: string; onSettled: (answer: AddAnswer) => void }) {
  const fetcher = useFetcher<AddAnswer>({ key: fetcherKey });
  const reported = useRef(false);
  const answer = fetcher.state === 'idle' ? fetcher.data : undefined;
  useEffect(() => {
    if (!answer || reported.current) return;
    reported.current = true;
    onSettled(answer);
  }, [answer, onSettled]);
  return null;
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

/**
 * Each item's controls are named "Completed: <title>", "Edit: <title>", "Delete: <title>" by
 * pointing at these words and at the item's label, instead of repeating a title of up to
 * 1,000 characters in three aria-labels: a page of long titles stays a third of the size.
 */
const ACTION_LABEL_IDS = { completed: 'todo-action-completed', edit: 'todo-action-edit', destroy: 'todo-action-delete' } as const;

function ActionLabels() {
  return (
    <>
      <span hidden id={ACTION_LABEL_IDS.completed}>
        Completed:
      </span>
      <span hidden id={ACTION_LABEL_IDS.edit}>
        Edit:
      </span>
      <span hidden id={ACTION_LABEL_IDS.destroy}>
        Delete:
      </span>
    </>
  );
}

function TodoItem({ todo, editingFromUrl, at }: { todo: ViewTodo; editingFromUrl: boolean; at: string }) {
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
  const titleId = `todo-title-${todo.key}`;

  const startEditing = () => {
    if (pending) return;
    finished.current = false;
    setEditing(true);
  };
  const stopEditing = () => {
    finished.current = true;
    setEditing(false);
    if (editingFromUrl) void navigate({ search: at ? `?${at}` : '' }, { replace: true });
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
              aria-labelledby={`${ACTION_LABEL_IDS.completed} ${titleId}`}
              onChange={() => {
                setChecked(!checked);
                submitTodo({ intent: 'toggle', id, completed: String(!checked) });
              }}
            />
          ) : (
            <button
              type="submit"
              className="toggle"
              role="checkbox"
              aria-checked={todo.completed}
              aria-labelledby={`${ACTION_LABEL_IDS.completed} ${titleId}`}
            />
          )}
        </Form>
        <label id={titleId} onDoubleClick={startEditing}>
          {todo.title}
        </label>
        <Link
          className="edit-link"
          to={`?${at ? `${at}&` : ''}edit=${id}`}
          aria-labelledby={`${ACTION_LABEL_IDS.edit} ${titleId}`}
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
          <button type="submit" className="destroy" aria-labelledby={`${ACTION_LABEL_IDS.destroy} ${titleId}`} disabled={pending} />
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
