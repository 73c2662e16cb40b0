import { useEffect, useRef, useState } from 'react';
import { useFetchers, useRevalidator, useSubmit } from 'react-router';
import { useTenant } from '../../components/tenant-data';
import { CSRF_FIELD, JS_FIELD } from '../../forms';
import { intentFields, type Intent } from './intent';

/**
 * A checkbox's value from the click until the optimistic data catches up: a fetcher's
 * submission can start a tick later (route discovery), and a controlled checkbox would
 * otherwise flip back meanwhile.
 */
export function useLatched(actual: boolean): [boolean, (value: boolean) => void] {
  const [latched, setLatched] = useState<boolean | null>(null);
  if (latched !== null && latched === actual) setLatched(null);
  return [latched ?? actual, setLatched];
}

let submissionCounter = 0;

/**
 * Submits an intent through a fetcher of its own, so quick successive changes all stay in
 * flight. Returns the fetcher's key, for a caller that wants the answer.
 */
export function useTodoSubmit(): (intent: Intent) => string {
  const submit = useSubmit();
  const { csrf } = useTenant();
  return (intent) => {
    const form = new FormData();
    for (const [name, value] of Object.entries(intentFields(intent))) form.set(name, value);
    form.set(CSRF_FIELD, csrf);
    form.set(JS_FIELD, '1');
    submissionCounter += 1;
    const fetcherKey = `todo-${Date.now()}-${submissionCounter}`;
    void submit(form, { method: 'post', navigate: false, fetcherKey });
    return fetcherKey;
  };
}

/**
 * Another browser's changes show up when this tab regains focus. Not while a submission is
 * still being sent: the reload that follows its answer starts later, so it brings them too.
 */
export function useRevalidateOnFocus(): void {
  const { revalidate } = useRevalidator();
  const sending = useRef(false);
  sending.current = useFetchers().some((fetcher) => fetcher.state === 'submitting');
  useEffect(() => {
    const onFocus = () => {
      if (document.visibilityState === 'visible' && !sending.current) void revalidate();
    };
    window.addEventListener('focus', onFocus);
    document.addEventListener('visibilitychange', onFocus);
    return () => {
      window.removeEventListener('focus', onFocus);
      document.removeEventListener('visibilitychange', onFocus);
    };
  }, [revalidate]);
}
