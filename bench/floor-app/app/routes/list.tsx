/*
 * The floor's list page: the TODO app's list markup (apps/todos/app/routes/list) as it renders
 * without JavaScript, for 20 todos held in memory. No session, no database, no hooks of ours:
 * what is left is React Router and React.
 */
import { Form, Link, NavLink, useLoaderData, useRouteLoaderData, type LoaderFunctionArgs } from 'react-router';
import type { loader as tenantLoader } from './tenant';

const TODOS = Array.from({ length: 20 }, (_, index) => ({ id: index + 1, title: `Todo ${index}`, completed: index % 3 === 0 }));
const COMPLETED = TODOS.filter((todo) => todo.completed).length;

export function meta({ params }: { params: { name?: string } }) {
  return [{ title: `${params.name ?? ''} · todos` }];
}

export function loader({ params }: LoaderFunctionArgs) {
  return {
    todos: TODOS,
    page: { before: null, after: null, at: '' },
    counts: { total: TODOS.length, completed: COMPLETED },
    maxTodos: 5000,
    filter: 'all',
    editId: null,
    displayName: params['name'] ?? '',
  };
}

function Hidden({ fields }: { fields: Record<string, string> }) {
  const tenant = useRouteLoaderData<typeof tenantLoader>('tenant');
  return (
    <>
      {Object.entries(fields).map(([name, value]) => (
        <input key={name} type="hidden" name={name} value={value} />
      ))}
      <input type="hidden" name="csrf" value={tenant?.csrf ?? ''} />
    </>
  );
}

function Item({ todo }: { todo: (typeof TODOS)[number] }) {
  const id = String(todo.id);
  const titleId = `todo-title-${id}`;
  return (
    <li className={todo.completed ? 'completed' : undefined} data-testid="todo-item">
      <div className="view">
        <Form method="post" className="item-form">
          <Hidden fields={{ intent: 'toggle', id, completed: String(!todo.completed) }} />
          <input type="submit" value="" className="toggle" role="checkbox" aria-checked={todo.completed} aria-labelledby={`todo-action-completed ${titleId}`} />
        </Form>
        <label id={titleId} data-testid="todo-title">
          {todo.title}
        </label>
        <div className="controls">
          <Link className="edit-button" to={`?edit=${id}`} aria-labelledby={`todo-action-edit ${titleId}`} />
          <Form method="post" className="item-form">
            <Hidden fields={{ intent: 'destroy', id }} />
            <button type="submit" className="destroy" aria-labelledby={`todo-action-delete ${titleId}`} />
          </Form>
        </div>
      </div>
    </li>
  );
}

export default function List() {
  const { todos, counts } = useLoaderData<typeof loader>();
  const tenant = useRouteLoaderData<typeof tenantLoader>('tenant');
  const base = `/t/${tenant?.name ?? ''}`;
  const remaining = counts.total - counts.completed;
  return (
    <main className="page">
      <section className="todoapp" aria-label="Todos">
        <header className="header">
          <h1>todos</h1>
          <Form method="post">
            <Hidden fields={{ intent: 'add' }} />
            <input className="new-todo" placeholder="What needs to be done?" autoComplete="off" maxLength={1000} autoFocus name="title" defaultValue="" />
          </Form>
        </header>
        <section className="main" aria-label="Todo list">
          <Form method="post" className="toggle-all-form">
            <Hidden fields={{ intent: 'toggle-all', completed: String(remaining !== 0) }} />
            <input type="submit" value="" className="toggle-all" role="checkbox" aria-checked={remaining === 0} aria-label="Mark all as complete" />
          </Form>
          <span hidden id="todo-action-completed">
            Completed:
          </span>
          <span hidden id="todo-action-edit">
            Edit:
          </span>
          <span hidden id="todo-action-delete">
            Delete:
          </span>
          <ul className="todo-list">
            {todos.map((todo) => (
              <Item key={todo.id} todo={todo} />
            ))}
          </ul>
        </section>
        <footer className="footer">
          <span className="todo-count" data-testid="todo-count">
            <strong>{remaining}</strong> {remaining === 1 ? 'item' : 'items'} left
          </span>
          <ul className="filters" aria-label="Show">
            {[
              [base, 'All'],
              [`${base}/active`, 'Active'],
              [`${base}/completed`, 'Completed'],
            ].map(([to, label]) => (
              <li key={label}>
                <NavLink to={to ?? base} end className={({ isActive }) => (isActive ? 'selected' : undefined)}>
                  {label}
                </NavLink>
              </li>
            ))}
          </ul>
          <Form method="post" className="item-form">
            <Hidden fields={{ intent: 'clear-completed' }} />
            <button type="submit" className="clear-completed">
              Clear completed
            </button>
          </Form>
        </footer>
      </section>
      <p className="hint">Use a todo&apos;s edit button to change it.</p>
    </main>
  );
}
