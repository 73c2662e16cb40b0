import { useEffect, useRef, useState, type KeyboardEvent } from 'react';
import { Form, Link, useNavigate } from 'react-router';
import { useHydrated } from '../../components/hydrated';
import { TITLE_MAX_LENGTH } from '../../forms';
import { focusAfterRemoving } from './focus-after-removal';
import { HiddenFields } from './hidden-fields';
import { useLatched, useTodoSubmit } from './hooks';
import type { Intent } from './intent';
import type { ViewTodo } from './optimistic';

/**
 * Each item's controls are named "Completed: <title>", "Edit: <title>", "Delete: <title>" by
 * pointing at these words and at the item's label, instead of repeating a title of up to
 * 1,000 characters in three aria-labels: a page of long titles stays a third of the size.
 */
const ACTION_LABEL_IDS = { completed: 'todo-action-completed', edit: 'todo-action-edit', destroy: 'todo-action-delete' } as const;

export function ActionLabels() {
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

/** How to change a todo: double-click only works once the page runs JavaScript. */
export function EditHint() {
  const hydrated = useHydrated();
  return <p className="hint">{hydrated ? 'Double-click a todo, or use its edit button, to change it.' : "Use a todo's edit button to change it."}</p>;
}

export function TodoItem({ todo, editingFromUrl, at }: { todo: ViewTodo; editingFromUrl: boolean; at: string }) {
  const hydrated = useHydrated();
  const submitTodo = useTodoSubmit();
  const navigate = useNavigate();
  const [editing, setEditing] = useState(false);
  // A double-click on a todo still being added opens its editor once the todo has an id.
  const [editWhenAdded, setEditWhenAdded] = useState(false);
  const finished = useRef(false);
  const editInput = useRef<HTMLInputElement>(null);
  const isEditing = editing || editingFromUrl;
  const [checked, setChecked] = useLatched(todo.completed);
  const pending = todo.id === null;
  const id = String(todo.id ?? '');
  const titleId = `todo-title-${todo.key}`;
  /** A todo still being added has no id yet: its controls are disabled, and nothing is sent for it. */
  const submitFor = (intent: (todoId: number) => Intent) => {
    if (todo.id !== null) submitTodo(intent(todo.id));
  };

  const startEditing = () => {
    if (pending) {
      setEditWhenAdded(true);
      return;
    }
    finished.current = false;
    setEditing(true);
  };
  useEffect(() => {
    if (!editWhenAdded || pending) return;
    setEditWhenAdded(false);
    finished.current = false;
    setEditing(true);
  }, [editWhenAdded, pending]);
  const stopEditing = () => {
    finished.current = true;
    setEditing(false);
    if (editingFromUrl) void navigate({ search: at ? `?${at}` : '' }, { replace: true });
  };
  const save = (value: string) => {
    if (finished.current) return;
    // Before the submit: a delete takes the row (and this field) away at once, and the field's
    // blur must not save it a second time.
    finished.current = true;
    const title = value.trim();
    if (!title) submitFor((todoId) => ({ intent: 'destroy', id: todoId }));
    else if (title !== todo.title) submitFor((todoId) => ({ intent: 'edit', id: todoId, title }));
    stopEditing();
  };
  const onEditKeyDown = (event: KeyboardEvent<HTMLInputElement>) => {
    if (event.key === 'Escape') {
      event.preventDefault();
      stopEditing();
      setRefocusEdit(true);
    }
  };
  useEffect(() => {
    if (isEditing) editInput.current?.focus();
  }, [isEditing]);
  // An edit ended from the keyboard (Enter, Escape) gives the focus back to the item's edit
  // button, as a dialog gives it back to its opener; one ended by leaving the field does not
  // take it from where it went.
  const editButton = useRef<HTMLButtonElement>(null);
  const [refocusEdit, setRefocusEdit] = useState(false);
  useEffect(() => {
    if (!refocusEdit || isEditing) return;
    setRefocusEdit(false);
    // The row's controls are hidden until something in the row has the focus (app.css): its
    // checkbox first shows them, so the edit button can take it.
    editButton.current?.closest('li')?.querySelector<HTMLElement>('.toggle')?.focus();
    editButton.current?.focus();
  }, [refocusEdit, isEditing]);
  // React's onBlur listens to `focusout`; a `blur` event dispatched on its own (as TodoMVC's
  // specs do) never reaches it. A native listener hears both a real and a dispatched blur.
  const saveOnBlur = useRef(save);
  saveOnBlur.current = save;
  useEffect(() => {
    const field = editInput.current;
    if (!isEditing || !field) return;
    const onBlur = () => saveOnBlur.current(field.value);
    field.addEventListener('blur', onBlur);
    return () => field.removeEventListener('blur', onBlur);
  }, [isEditing]);

  const classes = [todo.completed ? 'completed' : '', isEditing ? 'editing' : '', pending ? 'pending' : ''].filter(Boolean).join(' ');
  const toggleTo = String(!todo.completed);
  return (
    <li className={classes || undefined} data-testid="todo-item">
      <div className="view">
        <Form method="post" className="item-form" onSubmit={(event) => event.preventDefault()}>
          <HiddenFields fields={{ intent: 'toggle', id, completed: toggleTo }} />
          {hydrated ? (
            <input
              className="toggle"
              type="checkbox"
              checked={checked}
              disabled={pending}
              aria-labelledby={`${ACTION_LABEL_IDS.completed} ${titleId}`}
              onChange={() => {
                setChecked(!checked);
                submitFor((todoId) => ({ intent: 'toggle', id: todoId, completed: !checked }));
              }}
            />
          ) : (
            // Without JavaScript a checkbox cannot submit: a submit input in the checkbox role, so
            // `input.toggle` still finds it and assistive technology still hears a checkbox.
            <input
              type="submit"
              value=""
              className="toggle"
              role="checkbox"
              aria-checked={todo.completed}
              aria-labelledby={`${ACTION_LABEL_IDS.completed} ${titleId}`}
            />
          )}
        </Form>
        <label id={titleId} data-testid="todo-title" onDoubleClick={startEditing}>
          {todo.title}
        </label>
        <div className="controls">
          {/* An icon with its name in aria-labelledby: the item's text stays its title alone. */}
          {hydrated ? (
            <button
              ref={editButton}
              type="button"
              className="edit-button"
              aria-labelledby={`${ACTION_LABEL_IDS.edit} ${titleId}`}
              disabled={pending}
              onClick={startEditing}
            />
          ) : (
            <Link className="edit-button" to={`?${at ? `${at}&` : ''}edit=${id}`} aria-labelledby={`${ACTION_LABEL_IDS.edit} ${titleId}`} />
          )}
          <Form
            method="post"
            className="item-form"
            onSubmit={(event) => {
              event.preventDefault();
              const next = focusAfterRemoving(event.currentTarget);
              submitFor((todoId) => ({ intent: 'destroy', id: todoId }));
              next?.focus();
            }}
          >
            <HiddenFields fields={{ intent: 'destroy', id }} />
            <button
              type="submit"
              className="destroy"
              aria-labelledby={`${ACTION_LABEL_IDS.destroy} ${titleId}`}
              disabled={pending}
              onClick={(event) => {
                // A double click deletes one todo. Its first click takes this row away at once
                // (hooks.ts), so the second lands on the next row's button, moved up into this
                // one's place: a click counted as the second of a double click sends nothing.
                if (event.detail > 1) event.preventDefault();
              }}
            />
          </Form>
        </div>
      </div>
      {isEditing && (
        <Form
          method="post"
          className="edit-form"
          onSubmit={(event) => {
            event.preventDefault();
            const value = editInput.current?.value ?? '';
            // An emptied title deletes the todo: the focus goes on as after a delete.
            const next = value.trim() ? null : focusAfterRemoving(event.currentTarget);
            save(value);
            if (next) next.focus();
            else setRefocusEdit(true);
          }}
        >
          <HiddenFields fields={{ intent: 'edit', id }} />
          <input
            ref={editInput}
            className="edit"
            name="title"
            defaultValue={todo.title}
            maxLength={TITLE_MAX_LENGTH}
            aria-label={`Edit: ${todo.title}`}
            autoComplete="off"
            autoFocus={editingFromUrl}
            onKeyDown={onEditKeyDown}
          />
        </Form>
      )}
    </li>
  );
}
