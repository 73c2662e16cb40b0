import { readForm } from '@silo/web';
import { createContext, type RouterContextProvider } from 'react-router';
import { MAX_FORM_BYTES } from './config.server';

/** A form read before its action ran: its fields, or what reading it threw (a 413 or 400 answer). */
type ReceivedForm = { readonly form: FormData } | { readonly error: unknown };

const receivedFormContext = createContext<ReceivedForm | null>(null);

const BODYLESS = new Set(['GET', 'HEAD']);

/**
 * Reads the request's form (at most MAX_FORM_BYTES) before its action runs, for the action to
 * take with `actionForm`: a middleware that must not go on before the body has arrived
 * (viewerMiddleware) reads it here, and the body is read once. A refusal is kept for the action
 * to throw, so the request is answered as if the action had read the form itself.
 */
export async function receiveForm(context: Readonly<RouterContextProvider>, request: Request): Promise<void> {
  if (BODYLESS.has(request.method.toUpperCase())) return;
  let received: ReceivedForm;
  try {
    received = { form: await readForm(request, MAX_FORM_BYTES) };
  } catch (error) {
    received = { error };
  }
  context.set(receivedFormContext, received);
}

/**
 * The action's form: the one `receiveForm` read, else read now (anonymous requests and those
 * outside a list are not read ahead). Every action reads its form here: the request's body
 * may have been read already, and a second read would throw.
 */
export async function actionForm(context: Readonly<RouterContextProvider>, request: Request): Promise<FormData> {
  const received = context.get(receivedFormContext);
  if (!received) return readForm(request, MAX_FORM_BYTES);
  if ('error' in received) throw received.error;
  return received.form;
}
