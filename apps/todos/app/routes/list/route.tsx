/*
 * The TODO list (all, active, completed). Its parts sit beside it: `intent.ts` (what a form
 * asks for, shared by the action and the optimistic reducer), `optimistic.ts`, `hooks.ts`
 * and the components.
 */
import { data, redirect, useFetchers } from 'react-router';
import { actionForm } from '../../action-form.server';
import { csrfMatches, getTenant, requireViewer } from '../../auth.server';
import { useTenant } from '../../components/tenant-data';
import { appConfig } from '../../config.server';
import { expiredForm } from '../../expired-form.server';
import { ADD_AFTER_FIELD, ADD_KEY_FIELD, JS_FIELD, TITLE_MAX_LENGTH } from '../../forms';
import { storageRefusal } from '../../storage.server';
import { aloneInTenant } from '../../tenant.server';
import type { Filter } from '../../todos.server';
import { addTodo, clearCompleted, deleteTodo, listPage, renameTodo, setAllCompleted, setCompleted, touchMetrics } from '../../todos.server';
import type { Route } from './+types/route';
import { inSubmissionOrder } from './add-order.server';
import { addOnce } from './add-once.server';
import { parseIntent, titleOf, unhandledIntent } from './intent';
import { keepUnsentAdd, takeUnsentAdd } from './unsent-add.server';
import { ClearCompleted, FilterLink, Pager, ToggleAll } from './list-controls';
import { NewTodo, listFullMessage } from './new-todo';
import { useRevalidateOnFocus } from './hooks';
import { useOptimisticTodos } from './optimistic';
import { ListAnswerMessage, ListAnswers } from './answers';
import { ListAnnouncements } from './announcements';
import { ActionLabels, EditHint, TodoItem } from './todo-item';

export function meta({ loaderData }: Route.MetaArgs) {
  return [{ title: loaderData ? `${loaderData.displayName} · todos` : 'todos' }];
}

export { reloadAfterExpiredForm as shouldRevalidate } from '../../expired-form';

/** A keyset cursor from the URL: a positive integer id, or nothing. */
function cursor(value: string | null): number | undefined {
  const id = Number(value);
  return value !== null && Number.isSafeInteger(id) && id > 0 ? id : undefined;
}

/** A load for a document, not for React Router's client (`/t/x.data`; `url` has that suffix removed). */
function isDocumentLoad(request: Request, url: URL): boolean {
  return new URL(request.url).pathname === url.pathname;
}

export async function loader({ context, request, url }: Route.LoaderArgs) {
  const { tenant } = requireViewer(context, request);
  const documentLoad = isDocumentLoad(request, url);
  // Without JavaScript, an add sent when the session had ended, back after sign-in (unsent-add.server.ts).
  const unsent = documentLoad ? await takeUnsentAdd(request, tenant.name) : null;
  // `url`, not `request.url`: since React Router 8 the request is the raw one (`/active.data`
  // for client navigations); `url` is the page's address.
  const base = `/t/${tenant.name}`;
  const filter: Filter = url.pathname === `${base}/active` ? 'active' : url.pathname === `${base}/completed` ? 'completed' : 'all';
  const edit = Number(url.searchParams.get('edit'));
  const after = cursor(url.searchParams.get('after'));
  const before = after === undefined ? cursor(url.searchParams.get('before')) : undefined;
  const { todosPageSize, maxTodosPerList } = appConfig();
  // One page, never the whole list: a page stays small whatever the list holds.
  const page = await listPage(tenant.db, { filter, after, before, size: todosPageSize, countCap: maxTodosPerList + 1 });
  const payload = {
    todos: page.todos,
    page: { before: page.before, after: page.after, at: after !== undefined ? `after=${after}` : before !== undefined ? `before=${before}` : '' },
    counts: page.counts,
    maxTodos: maxTodosPerList,
    filter,
    editId: Number.isSafeInteger(edit) && edit > 0 ? edit : null,
    displayName: tenant.instance.displayName,
    // The new-todo form's key without JavaScript: sent twice (a double click), it adds once
    // (add-once.server.ts). Only a page loaded as a document can send it; a `.data` load (a
    // revalidation, a client navigation) serves JavaScript, whose adds send their fetcher's key.
    // Not a secret (the session scopes it): a pooled UUID, not 32 fresh bytes from the kernel.
    ...(documentLoad && { addKey: crypto.randomUUID() }),
    unsentTitle: unsent?.title ?? null,
  };
  return unsent ? data(payload, { headers: { 'Set-Cookie': unsent.forget } }) : payload;
}

/** requireViewer, whose trip to sign-in keeps the title of an add sent without JavaScript (unsent-add.server.ts). */
async function requireViewerKeepingAdd(context: Route.ActionArgs['context'], request: Request, url: URL): Promise<ReturnType<typeof requireViewer>> {
  try {
    return requireViewer(context, request);
  } catch (answer) {
    if (answer instanceof Response) {
      // A form that cannot be read (too large, not UTF-8) keeps nothing: the trip to sign-in stays the answer.
      const form = await actionForm(context, request).catch(() => null);
      const kept = form && isDocumentLoad(request, url) && (await keepUnsentAdd(request, getTenant(context).name, form));
      if (kept) answer.headers.append('Set-Cookie', kept);
    }
    throw answer;
  }
}

export async function action({ context, request, url }: Route.ActionArgs) {
  const { tenant, viewer } = await requireViewerKeepingAdd(context, request, url);
  const form = await actionForm(context, request);
  const { db } = tenant;
  const title = titleOf(form.get('title'));
  let addedId: number | null = null;
  if (!csrfMatches(form, viewer)) {
    // What was typed stays in the field.
    return expiredForm({ title: title.slice(0, TITLE_MAX_LENGTH), addedId });
  }
  // A file where the title goes (a multipart form made by hand) is not an empty title to skip.
  if (form.get('title') instanceof File) return data({ error: 'A todo’s title must be text.', title: '', addedId }, { status: 400 });
  if (title.length > TITLE_MAX_LENGTH) {
    return data({ error: `A todo can have at most ${TITLE_MAX_LENGTH} characters.`, title: title.slice(0, TITLE_MAX_LENGTH), addedId }, { status: 400 });
  }
  const intent = parseIntent(form);
  if (!intent) return data({ error: 'Unknown action.', title: '', addedId: null }, { status: 400 });
  try {
    switch (intent.intent) {
      case 'add': {
        const max = appConfig().maxTodosPerList;
        // 409: the request is fine but the list is full; deleting todos resolves it. Not a 5xx:
        // nothing is wrong with the server, and clients must not retry. The title comes back so
        // the form keeps it.
        if (!intent.title) break;
        // The same add sent again (a double click without JavaScript, a replayed fetch) stores one todo.
        addedId = await addOnce(tenant.name, viewer.sessionId, form.get(ADD_KEY_FIELD), intent.title, () =>
          inSubmissionOrder(tenant.name, form.get(ADD_KEY_FIELD), form.get(ADD_AFTER_FIELD), () => addTodo(db, intent.title, max)),
        );
        if (addedId === null) return data({ error: listFullMessage(max), title, addedId }, { status: 409 });
        break;
      }
      case 'toggle':
        if (!(await setCompleted(db, intent.id, intent.completed))) return todoGone();
        break;
      case 'toggle-all':
        // Whole-list writes run on the fleet's worker thread, alone in this list's turns.
        await aloneInTenant(context, () => setAllCompleted(db, intent.completed, appConfig().maxTodosPerList));
        break;
      case 'edit':
        if (intent.title && !(await renameTodo(db, intent.id, intent.title))) return todoGone();
        if (!intent.title) await deleteTodo(db, intent.id);
        break;
      case 'destroy':
        await deleteTodo(db, intent.id);
        break;
      case 'clear-completed':
        await aloneInTenant(context, () => clearCompleted(db, appConfig().maxTodosPerList));
        break;
      default:
        return unhandledIntent(intent);
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
  const next = new URL(request.url);
  next.searchParams.delete('edit');
  next.searchParams.delete('index');
  if (addedId !== null && counts.total > appConfig().todosPageSize) {
    // A new todo goes to the end of a long list: show the page it is on.
    next.searchParams.delete('after');
    next.searchParams.set('before', String(addedId + 1));
  }
  return redirect(next.pathname + next.search, 303);
}

/**
 * A toggle or an edit of a todo that is no longer there (deleted in another tab or by another
 * member since this page loaded): nothing to change, and the user is told why the todo went,
 * rather than seeing it vanish without a word.
 */
function todoGone() {
  return data(
    { error: 'That todo was deleted meanwhile (in another tab or by another member), so the change was not saved.', title: '', addedId: null },
    { status: 404 },
  );
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
      <ListAnnouncements todos={todos} counts={counts} lastPage={lastPage}>
        <ListAnswers>
          <section className="todoapp" aria-label="Todos" aria-busy={busy || undefined}>
            <header className="header">
              <h1>todos</h1>
              <NewTodo
                total={counts.total}
                max={loaderData.maxTodos}
                serverError={serverError}
                lastPage={lastPage}
                autoFocus={loaderData.editId === null}
                shownTitles={loaderData.todos.map((todo) => todo.title)}
                addKey={loaderData.addKey}
                unsentTitle={loaderData.unsentTitle}
              />
              <ListAnswerMessage />
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
                <span className="todo-count" data-testid="todo-count">
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
        </ListAnswers>
      </ListAnnouncements>
      <EditHint />
    </main>
  );
}
