import { useEffect, useRef, useState } from 'react';
import { useFetchers, useRevalidator, useSubmit } from 'react-router';
import { useTenant } from '../../components/tenant-data';
import { ADD_AFTER_FIELD, ADD_KEY_FIELD, CSRF_FIELD, JS_FIELD } from '../../forms';
import { useAnnounce } from './announcements';
import { useWatchAnswer } from './answers';
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
/** How long an add not yet shown as a fetcher still counts as unanswered. */
const UNSEEN_ADD_MS = 5_000;

/** Adds fields of its own to a submission's form before it is sent. */
export type FormDecorator = (form: FormData, fetcherKey: string, intent: Intent) => void;

/**
 * Submits an intent through a fetcher of its own, so quick successive changes all stay in
 * flight, and says what changed (announcements.tsx). Returns the fetcher's key: the new-todo
 * field watches its adds' answers itself, the list (answers.tsx) every other one's.
 */
export function useTodoSubmit(decorate?: FormDecorator): (intent: Intent) => string {
  const submit = useSubmit();
  const watch = useWatchAnswer();
  const announce = useAnnounce();
  const { csrf } = useTenant();
  return (intent) => {
    // Worded from the page as it is before the change.
    announce(intent);
    const form = new FormData();
    for (const [name, value] of Object.entries(intentFields(intent))) form.set(name, value);
    form.set(CSRF_FIELD, csrf);
    form.set(JS_FIELD, '1');
    submissionCounter += 1;
    // Unique across tabs too (a random part): the server stores an add sent again with the same key once (add-once.server.ts).
    const fetcherKey = `todo-${Date.now()}-${submissionCounter}-${Math.random().toString(36).slice(2, 10)}`;
    decorate?.(form, fetcherKey, intent);
    // A removal shows at once (flushSync), not in a later transition: the row and the button
    // clicked are gone before a double click's second click comes, so that click cannot send the
    // same delete again (todo-item.tsx ignores it on the row that moved up in its place).
    const removal = intent.intent === 'destroy' || intent.intent === 'clear-completed';
    void submit(form, { method: 'post', navigate: false, fetcherKey, flushSync: removal });
    if (intent.intent !== 'add') watch(fetcherKey);
    return fetcherKey;
  };
}

/**
 * Names, on each add, the add sent just before it that is still unanswered, so the server
 * stores it after that one (add-order.server.ts) and the list keeps the order the todos were
 * typed in. Only the new-todo field uses it: it watches every fetcher, and a row that did
 * would re-render on any of them.
 */
export function useAddOrder(): FormDecorator {
  // The adds this page sent that may still be unanswered, oldest first. One leaves once a render
  // has shown its fetcher past 'submitting'; one not shown yet (a submission can start a tick
  // later) stays, for a few seconds at most.
  const adds = useRef<{ key: string; sentAt: number; seen: boolean }[]>([]).current;
  const states = new Map(useFetchers().map((fetcher) => [fetcher.key, fetcher.state]));
  for (const add of adds) if (states.has(add.key)) add.seen = true;
  return (form, fetcherKey, intent) => {
    if (intent.intent !== 'add') return;
    const now = Date.now();
    const pending = adds.filter((add) => (add.seen ? states.get(add.key) === 'submitting' : now - add.sentAt < UNSEEN_ADD_MS));
    adds.splice(0, adds.length, ...pending, { key: fetcherKey, sentAt: now, seen: false });
    form.set(ADD_KEY_FIELD, fetcherKey);
    const after = pending.at(-1)?.key;
    if (after !== undefined) form.set(ADD_AFTER_FIELD, after);
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
