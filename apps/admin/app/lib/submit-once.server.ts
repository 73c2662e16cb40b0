import { data, redirect } from 'react-router';
import { AnswerOnce, randomToken, remember, type AnswerOnceOptions } from '@silo/web';
import { field } from './http.server';

/**
 * One-time form tokens, so a form posted twice without JavaScript does its work once.
 *
 * Without the page's script nothing stops a browser from posting a form again: a double click
 * sends a second POST while the first is still running (the browser drops the first's answer
 * and shows the second's), and reloading a page that answered a POST sends it again. The
 * forms that make an instance (create, import, clone) carry a token made for that one
 * rendering (components/once-field.tsx); the first post with it runs, and a repeat (same
 * session, token and fields) is answered with where the first one led, waiting for it if it is
 * still running, instead of "the name is taken" (or, for a clone without a name, a second clone).
 *
 * Only successes are remembered (@silo/web's AnswerOnce): a refused post forgets its token, so
 * a repeat runs again (it may well succeed after a passing failure) and gets its own answer.
 *
 * Kept in this process's memory, bounded in count and time, rather than in the catalog: a
 * repeat follows its first post within seconds, from the same browser to the same console
 * process, and forgetting a token costs nothing but the old answer ("the name is taken", with
 * the instance made once; a clone without a name is made a second time, under the next free
 * name). So a restart, or a second console process behind a balancer that sends the repeat
 * elsewhere, loses no data.
 */

/**
 * What a form post came to: a success (remembered for its repeats), or a refusal (not). The
 * forms that make an instance succeed with where to go; others (an API token, an in-place
 * restore) with the answer their page shows, which a repeat is given again.
 */
export type Submitted<Refusal, Success extends object = { readonly location: string }> = (Success & { readonly ok: true }) | { readonly ok: false; readonly refusal: Refusal };

/** Tokens are what the loader made (randomToken: 43 base64url characters); anything else is ignored. */
const TOKEN_PATTERN = /^[A-Za-z0-9_-]{16,128}$/;

/** The admin's posts on @silo/web's AnswerOnce: a repeat is the same session, token and fields; a success is `ok`. */
export class SubmitOnce {
  readonly #answers: AnswerOnce;

  constructor(options: AnswerOnceOptions) {
    this.#answers = new AnswerOnce(options);
  }

  /** How many tokens are remembered now (in flight or done). */
  get size(): number {
    return this.#answers.size;
  }

  /**
   * Runs `attempt` once for `session`'s `token` and these `fields`: a repeat gets the first
   * success's location without running. A post without a valid token runs as posts did before
   * tokens (a script, or a page rendered by an older console).
   *
   * The fields are part of the key, so the same page's form sent again with other values (back,
   * edit the name, submit) is a post of its own, not a repeat.
   */
  async run<Refusal, Success extends object = { readonly location: string }>(
    session: string,
    token: string,
    fields: readonly string[],
    attempt: () => Promise<Submitted<Refusal, NoInfer<Success>>>,
  ): Promise<Submitted<Refusal, Success>> {
    if (!TOKEN_PATTERN.test(token)) return attempt();
    return this.#answers.run([session, token, ...fields], attempt, (outcome) => outcome.ok);
  }
}

/** Five minutes: a double click or a resubmitted POST comes within seconds. */
export const SUBMIT_ONCE_TTL_MS = 5 * 60_000;
/** Only successes stay (each one a new instance, token, restore or write), so this many in five minutes is far beyond any operator's pace. */
export const SUBMIT_ONCE_MAX_ENTRIES = 2_000;

/**
 * The process's tokens for the forms that must not run twice: those that make an instance, an
 * API or libSQL token's *Create* (a second token nobody sees), a backup's *Restore* and *Undo
 * last restore* (each a toggle: run again, it would replace the undo point, or undo the undo),
 * the data browser's *Insert* and the SQL console's write. On `remember`: server.ts and the
 * bundled app share it.
 */
export function formsOnce(): SubmitOnce {
  return remember('admin.form-once', () => new SubmitOnce({ ttlMs: SUBMIT_ONCE_TTL_MS, maxEntries: SUBMIT_ONCE_MAX_ENTRIES }));
}

/** A fresh token for one rendering of a form. */
export function newFormToken(): string {
  return randomToken();
}

/** The form field that carries the token (components/once-field.tsx renders it). */
const ONCE_FIELD = 'once';

/**
 * Runs a form's post once for the token it carries, in the admin's session: how create, import
 * and clone do it. `what` is what the post asks for, the form's intent first (then its fields),
 * so one token cannot stand for another form's post, nor for the same form sent again with
 * other values. A post without a token (a script, a page of an older console) just runs.
 */
export function submitFormOnce<Refusal, Success extends object = { readonly location: string }>(
  admin: { readonly sessionHash: string },
  form: FormData,
  what: readonly [intent: string, ...fields: string[]],
  attempt: () => Promise<Submitted<Refusal, NoInfer<Success>>>,
): Promise<Submitted<Refusal, Success>> {
  return formsOnce().run(admin.sessionHash, field(form, ONCE_FIELD), what, attempt);
}

/** The action's answer to a form post: a redirect to where it led, or its refusal (400) for the form to show. */
export function answerSubmitted<Refusal>(outcome: Submitted<Refusal>) {
  return outcome.ok ? redirect(outcome.location) : data(outcome.refusal, { status: 400 });
}
