import { data } from 'react-router';
import { FORM_OUT_OF_DATE, type ExpiredForm } from './expired-form';

/**
 * The action's answer when `csrfMatches` fails: a 403 that the page itself renders (not the
 * error page), so the user stays where they were, is told why, and gets this session's token.
 * A forged or missing token gets the same answer: the server cannot tell it from an old page,
 * and either way nothing was written. `extra` is what the page shows besides (the list keeps
 * the typed todo in its field).
 */
export function expiredForm<Extra extends object = Record<never, never>>(extra: Extra = {} as Extra) {
  const answer: ExpiredForm = { expired: true, error: FORM_OUT_OF_DATE };
  return data({ ...extra, ...answer }, { status: 403 });
}
