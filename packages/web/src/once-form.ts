/**
 * `@silo/web/once-form`: forms the router posts at most once at a time, for both apps' pages
 * (React and React Router only, safe in the browser bundle).
 */
import { createElement, type ButtonHTMLAttributes, type ComponentProps, type ReactElement } from 'react';
import { Form, useNavigation, useSubmit } from 'react-router';

/**
 * True from a form's post until the page it leads to has loaded (the action, then the reload or
 * the redirect after it). One post at a time per page: a second one would interrupt the first,
 * which the server still carries out, and the page would show only the second one's answer (a
 * list deleted twice: "not found" instead of "deleted"; an instance created twice: "the name is
 * taken" instead of the new instance).
 */
export function usePosting(): boolean {
  const { state, formMethod } = useNavigation();
  return state !== 'idle' && formMethod !== undefined && formMethod !== 'GET';
}

/** What a submit event says of its button: the package's types do not include the DOM library. */
interface SubmitEventLike {
  readonly submitter?: unknown;
}

type SubmitTarget = Parameters<ReturnType<typeof useSubmit>>[0];

/**
 * A form the router posts at most once at a time: while a post of this page is on its way, a
 * submit (a double click's second click, Enter pressed again) sends nothing.
 *
 * The router's "submitting" state reaches React in a transition, and a quick second click can
 * come first: it would find the page idle and post again. So the post asks the router to flush
 * that state at once (`flushSync`): the second click's handler already sees it.
 *
 * Without JavaScript the browser posts again: each app's actions answer a repeat without losing
 * anything (their http tests).
 */
export function OnceForm({ onSubmit, ...props }: ComponentProps<typeof Form>): ReactElement {
  const submit = useSubmit();
  const posting = usePosting();
  return createElement(Form, {
    ...props,
    onSubmit: (event) => {
      if (posting) return event.preventDefault();
      onSubmit?.(event);
      if (event.defaultPrevented) return;
      // What <Form> does itself, with flushSync: the method and action are the form's (or its
      // button's formmethod and formaction), and the button's name and value are sent. A submit
      // event's submitter is always a button or an input.
      event.preventDefault();
      const submitter = (event.nativeEvent as SubmitEventLike).submitter;
      const target = (submitter ?? event.currentTarget) as SubmitTarget;
      void submit(target, { replace: props.replace, preventScrollReset: props.preventScrollReset, flushSync: true });
    },
  });
}

/**
 * A form's submit button, unavailable while the page is posting: `aria-disabled`, not
 * `disabled`, so it keeps the keyboard focus and is announced as dimmed; the form (OnceForm)
 * ignores its clicks meanwhile.
 */
export function SubmitButton(props: Omit<ButtonHTMLAttributes<HTMLButtonElement>, 'type'>): ReactElement {
  const posting = usePosting();
  return createElement('button', { ...props, type: 'submit', 'aria-disabled': posting || props['aria-disabled'] || undefined });
}
