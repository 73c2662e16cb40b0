import type { Fleet } from '@silo/fleet';
import { data, type RouterContextProvider } from 'react-router';
import type { AdminSession } from '../../lib/auth.server';
import { describeError, field } from '../../lib/http.server';
import { importUploadOptions } from '../../lib/instances.server';
import { answerSubmitted, submitFormOnce, type Submitted } from '../../lib/submit-once.server';
import { withUpload, type UploadedFile } from '../../lib/upload.server';
import type { InstancesActionResult } from './forms';

/** Creates an instance, as the form's `intent` says (the import form's post is multipart: `importOnce`). */
export async function act(fleet: Fleet, admin: AdminSession, form: FormData) {
  const intent = field(form, 'intent');
  const name = field(form, 'name');
  const jurisdiction = field(form, 'jurisdiction');
  const region = field(form, 'region');
  const values = { name, jurisdiction, region };
  if (intent === 'create') {
    const displayName = field(form, 'displayName');
    // A repeat of this form's post (a double click or a resubmitted POST without JavaScript)
    // leads to the instance the first one created, rather than "the name is taken".
    const outcome = await submitFormOnce<InstancesActionResult>(admin, form, [intent, name, jurisdiction, region, displayName], async () => {
      try {
        await fleet.create(name, { jurisdiction, ...(region ? { region } : {}), ...(displayName ? { displayName } : {}), actor: admin.actor });
      } catch (error) {
        const described = describeError(error);
        return { ok: false, refusal: { intent, code: described.code, error: described.message, values } };
      }
      return { ok: true, location: `/instances/${encodeURIComponent(name)}?created=1` };
    });
    return answerSubmitted(outcome);
  }
  // The import form sent as a plain form has no file.
  if (intent === 'import') return answerSubmitted(await importUploaded(fleet, admin, form, undefined));
  return data<InstancesActionResult>({ intent: 'create', code: 'INVALID_INPUT', error: 'Unknown action.', values }, { status: 400 });
}

/**
 * The import form's post, multipart: its file read into the target region's staging folder and
 * imported as the instance the form names; where its page is, or why not. The form's action
 * and its upload route with progress (instances-import.ts) share it.
 *
 * Once per the form's one-time token, as create: the token and the fields it is keyed by come
 * before the file in the body (the form renders them first), so a repeat (a double click or a
 * resubmitted POST without JavaScript) is known before a byte of its file is written. It waits
 * for the first if that is still running and leads to the instance the first one imported; its
 * file is read and dropped, never stored.
 */
export function importOnce(request: Request, context: Readonly<RouterContextProvider>, fleet: Fleet, admin: AdminSession): Promise<Submitted<InstancesActionResult>> {
  return withUpload(
    request,
    context,
    importUploadOptions(fleet),
    ({ form, file }) => importUploaded(fleet, admin, form, file, request.signal),
    // The file's name counts among the fields: the same page's form sent with another file is an import of its own.
    ({ fields, filename }, rest) => submitFormOnce(admin, fields, ['import', field(fields, 'name'), field(fields, 'jurisdiction'), field(fields, 'region'), filename], rest),
  );
}

/**
 * Imports the uploaded file as the instance the form names: where its page is, or why not. A
 * browser that goes away meanwhile (`signal`: the request's) stops it before the database is put
 * in place: nothing is created, and the name is free for the import tried again.
 */
async function importUploaded(fleet: Fleet, admin: AdminSession, form: FormData, file: UploadedFile | undefined, signal?: AbortSignal): Promise<Submitted<InstancesActionResult>> {
  const name = field(form, 'name');
  const jurisdiction = field(form, 'jurisdiction');
  const region = field(form, 'region');
  const values = { name, jurisdiction, region };
  if (!file || file.size === 0) return { ok: false, refusal: { intent: 'import', code: 'INVALID_INPUT', error: 'Choose a .sqlite file to import.', values } };
  try {
    await fleet.importFile(name, file.path, { jurisdiction, ...(region ? { region } : {}), actor: admin.actor, signal });
  } catch (error) {
    const described = describeError(error);
    return { ok: false, refusal: { intent: 'import', code: described.code, error: described.message, values } };
  }
  return { ok: true, location: `/instances/${encodeURIComponent(name)}?imported=1` };
}
