import { Form, Link, NavLink } from 'react-router';
import { useHydrated } from '../../components/hydrated';
import { HiddenFields } from './hidden-fields';
import { useLatched, useTodoSubmit } from './hooks';

/** Links to the neighbouring pages of a long list (keyset cursors: ids, not offsets). */
export function Pager({ before, after }: { before: number | null; after: number | null }) {
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

export function FilterLink({ to, label }: { to: string; label: string }) {
  return (
    <NavLink to={to} end className={({ isActive }) => (isActive ? 'selected' : undefined)}>
      {label}
    </NavLink>
  );
}

export function ToggleAll({ allCompleted }: { allCompleted: boolean }) {
  const hydrated = useHydrated();
  const submitTodo = useTodoSubmit();
  const [checked, setChecked] = useLatched(allCompleted);
  const next = String(!allCompleted);
  return (
    <Form method="post" className="toggle-all-form" onSubmit={(event) => event.preventDefault()}>
      <HiddenFields fields={{ intent: 'toggle-all', completed: next }} />
      {hydrated ? (
        <>
          <input
            id="toggle-all"
            className="toggle-all"
            type="checkbox"
            checked={checked}
            onChange={() => {
              setChecked(!checked);
              submitTodo({ intent: 'toggle-all', completed: !checked });
            }}
          />
          <label htmlFor="toggle-all" className="visually-hidden">
            Mark all as complete
          </label>
        </>
      ) : (
        // Without JavaScript a checkbox cannot submit: a submit input in the checkbox role, so
        // `input.toggle-all` still finds it and assistive technology still hears a checkbox.
        <input type="submit" value="" className="toggle-all" role="checkbox" aria-checked={allCompleted} aria-label="Mark all as complete" />
      )}
    </Form>
  );
}

export function ClearCompleted() {
  const submitTodo = useTodoSubmit();
  return (
    <Form
      method="post"
      className="item-form"
      onSubmit={(event) => {
        event.preventDefault();
        submitTodo({ intent: 'clear-completed' });
        // The button goes with the completed todos: the focus goes to the new-todo field.
        document.querySelector<HTMLElement>('.new-todo')?.focus();
      }}
    >
      <HiddenFields fields={{ intent: 'clear-completed' }} />
      <button type="submit" className="clear-completed">
        Clear completed
      </button>
    </Form>
  );
}
