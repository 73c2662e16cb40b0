import type { ShouldRevalidateFunctionArgs } from 'react-router';

/**
 * A form whose CSRF token is not this session's is most often from a page loaded before this
 * browser signed in again in another tab: no attack, so the user is told what happened and
 * that trying again now works.
 */
export const FORM_OUT_OF_DATE =
  'This page was out of date (you signed in again in another tab or window), so nothing was changed. It is up to date now: please try again.';

/** An action's answer to such a form (expired-form.server.ts). */
export interface ExpiredForm {
  expired: true;
  error: string;
}

export function isExpiredForm(answer: unknown): answer is ExpiredForm {
  return typeof answer === 'object' && answer !== null && 'expired' in answer && answer.expired === true;
}

/**
 * The `shouldRevalidate` of every signed-in page and of the layout that holds the token: a
 * refused form changed nothing, which is why React Router would not reload after it (a 403),
 * but the page needs this session's token, and whatever changed meanwhile.
 */
export function reloadAfterExpiredForm({ actionResult, defaultShouldRevalidate }: ShouldRevalidateFunctionArgs): boolean {
  return isExpiredForm(actionResult) || defaultShouldRevalidate;
}
