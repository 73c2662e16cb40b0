import { useEffect, useRef, useState, type FormEvent } from 'react';
import { Form, Link } from 'react-router';
import { ADD_KEY_FIELD, TITLE_MAX_LENGTH } from '../../forms';
import { HiddenFields } from './hidden-fields';
import { useTenant } from '../../components/tenant-data';
import { AnswerWatcher, type ListAnswer } from './answers';
import { useAddOrder, useTodoSubmit } from './hooks';
import { forgetUnsent, rememberUnsent, takeUnsent } from './unsent-adds';

/** The answer to a full list, from the field (before sending) and from the action alike. */
export function listFullMessage(max: number): string {
  return `This list holds ${max.toLocaleString('en')} todos, its limit. Delete some or clear completed ones to add more.`;
}

export interface ServerError {
  message: string;
  title: string;
}

/**
 * The new-todo field. A full list is refused here already (the text stays in the field);
 * should the server refuse an add anyway (another member filled the list meanwhile), its
 * answer is shown and the text put back.
 */
export function NewTodo({
  total,
  max,
  serverError,
  lastPage,
  autoFocus,
  shownTitles,
  addKey,
  unsentTitle,
}: {
  total: number;
  max: number;
  serverError: ServerError | null;
  lastPage: boolean;
  /** Off on the edit page (`?edit=`): one `autofocus` per page, and there it is the edit field's. */
  autoFocus: boolean;
  /** The titles on this page: an unanswered add found among them was stored after all. */
  shownTitles: readonly string[];
  /**
   * Without JavaScript, the form's own add key: the same form sent twice adds once
   * (add-once.server.ts). None after a load by the router: JavaScript sends the fetcher's key.
   */
  addKey: string | undefined;
  /** Without JavaScript, an add sent after the session had ended, back from sign-in (unsent-add.server.ts). */
  unsentTitle: string | null;
}) {
  const submitTodo = useTodoSubmit(useAddOrder());
  const { name: list } = useTenant();
  const input = useRef<HTMLInputElement>(null);
  // An add sent when the session had ended comes back into the field, once. Without JavaScript
  // the server kept it (unsent-add.server.ts): it was certainly not added, and the page comes
  // with it in the field.
  const keptByServer = unsentTitle !== null && !serverError ? unsentTitle : null;
  const [restored, setRestored] = useState<{ title: string; sent: 'no' | 'unknown' } | null>(keptByServer === null ? null : { title: keptByServer, sent: 'no' });
  // With JavaScript, an add whose answer this tab never saw (the answer was a trip to sign-in,
  // unsent-adds.ts) comes back unless it is on the page: it may have been stored.
  useEffect(() => {
    const unsent = takeUnsent(list).filter((title) => !shownTitles.includes(title));
    const first = unsent[0];
    if (first === undefined || !input.current || input.current.value !== '') return;
    input.current.value = first;
    setRestored({ title: first, sent: 'unknown' });
    // Once per arrival on a list: the page's later renders (new titles shown) are not arrivals.
  }, [list]);
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
      setClientError(listFullMessage(max));
      return;
    }
    setClientError(null);
    setRestored(null);
    const key = submitTodo({ intent: 'add', title });
    rememberUnsent(list, key, title);
    setAdds((current) => [...current, { key, title }]);
    field.value = '';
  };
  const settled = (key: string, answer: ListAnswer, title: string) => {
    forgetUnsent(list, key);
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
      <HiddenFields fields={addKey === undefined ? { intent: 'add' } : { intent: 'add', [ADD_KEY_FIELD]: addKey }} />
      {/* Above the field: the toggle-all control sits beside the field, just above the list. */}
      {error && (
        <p className="form-error" id="new-todo-error" role="alert">
          {error}
        </p>
      )}
      {restored !== null && !error && (
        <p className="notice" role="status">
          {restored.sent === 'no'
            ? `“${restored.title}” was not added: your session had ended. It is back in the field; press Enter to add it.`
            : `“${restored.title}” may not have been added: the page was left before the answer came. It is back in the field; press Enter to add it.`}
        </p>
      )}
      {/* Not a status of its own: the list's live region said where the todo went when it was sent (announcements.tsx). */}
      {addedElsewhere !== null && !error && !lastPage && (
        <p className="notice">
          Added at the end of the list. <Link to={`?before=${addedElsewhere + 1}`}>Show it</Link>
        </p>
      )}
      {/* TodoMVC's contract: the placeholder is the field's accessible name, and no `#new-todo` id. */}
      <input
        ref={input}
        className="new-todo"
        name="title"
        placeholder="What needs to be done?"
        autoComplete="off"
        maxLength={TITLE_MAX_LENGTH}
        defaultValue={serverError?.title ?? keptByServer ?? ''}
        aria-invalid={error ? true : undefined}
        aria-describedby={error ? 'new-todo-error' : undefined}
        autoFocus={autoFocus}
      />
      {adds.map((add) => (
        <AnswerWatcher key={add.key} fetcherKey={add.key} onAnswer={(key, answer) => settled(key, answer, add.title)} />
      ))}
    </Form>
  );
}
