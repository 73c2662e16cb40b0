import { Form } from 'react-router';
import { Field } from './components/field';
import { useFocusOnError } from './focus-on-error';

/**
 * "Sign in to an existing list": a GET form to /sign-in (routes/find-list.tsx), on the landing
 * page and on that page itself, so it needs no JavaScript.
 */
export function FindListForm({ defaultName, error }: { defaultName?: string | undefined; error?: string | undefined }) {
  useFocusOnError('field-list', error);
  return (
    <Form method="get" action="/sign-in">
      {/* An error puts the focus back into the field, which announces the message it describes. */}
      <Field
        label="Name of the list"
        name="list"
        hint="As in the list’s address, /t/<name>."
        defaultValue={defaultName}
        error={error}
        autoComplete="off"
        autoCapitalize="none"
        spellCheck={false}
        required
        maxLength={63}
        autoFocus={Boolean(error)}
      />
      {error && (
        <p className="visually-hidden" role="alert">
          {error}
        </p>
      )}
      <button type="submit">Go to its sign-in page</button>
    </Form>
  );
}
