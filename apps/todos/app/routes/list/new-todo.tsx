import { useEffect, useRef, useState, type FormEvent } from 'react';
import { Form, Link, useFetcher } from 'react-router';
import { TITLE_MAX_LENGTH } from '../../forms';
import { HiddenFields } from './hidden-fields';
import { useAddOrder, useTodoSubmit } from './hooks';

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
}: {
  total: number;
  max: number;
  serverError: ServerError | null;
  lastPage: boolean;
  /** Off on the edit page (`?edit=`): one `autofocus` per page, and there it is the edit field's. */
  autoFocus: boolean;
}) {
  const submitTodo = useTodoSubmit(useAddOrder());
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
      setClientError(listFullMessage(max));
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
      <HiddenFields fields={{ intent: 'add' }} />
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
      {/* TodoMVC's contract: the placeholder is the field's accessible name, and no `#new-todo` id. */}
      <input
        ref={input}
        className="new-todo"
        name="title"
        placeholder="What needs to be done?"
        autoComplete="off"
        maxLength={TITLE_MAX_LENGTH}
        defaultValue={serverError?.title ?? ''}
        aria-invalid={error ? true : undefined}
        aria-describedby={error ? 'new-todo-error' : undefined}
        autoFocus={autoFocus}
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
