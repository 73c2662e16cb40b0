import { isExpiredForm } from '../expired-form';

/** Why the form just sent changed nothing, shown on the page it was sent from (with or without JavaScript). */
export function ExpiredFormNotice({ answer }: { answer: unknown }) {
  if (!isExpiredForm(answer)) return null;
  return (
    <p className="form-error" role="alert">
      {answer.error}
    </p>
  );
}
