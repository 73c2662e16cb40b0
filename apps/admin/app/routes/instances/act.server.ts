import type { Fleet } from '@silo/fleet';
import { data, redirect } from 'react-router';
import type { AdminSession } from '../../lib/auth.server';
import { describeError, field } from '../../lib/http.server';
import { createFormOnce } from '../../lib/submit-once.server';
import type { UploadedFile } from '../../lib/upload.server';
import type { InstancesActionResult } from './forms';

/** Creates an instance or imports an uploaded file, as the form's `intent` says. */
export async function act(fleet: Fleet, admin: AdminSession, form: FormData, file: UploadedFile | undefined) {
  const intent = field(form, 'intent');
  const name = field(form, 'name');
  const jurisdiction = field(form, 'jurisdiction');
  const region = field(form, 'region');
  const values = { name, jurisdiction, region };
  if (intent === 'create') {
    const displayName = field(form, 'displayName');
    // A repeat of this form's post (a double click or a resubmitted POST without JavaScript)
    // leads to the instance the first one created, rather than "the name is taken".
    const outcome = await createFormOnce().run<InstancesActionResult>(admin.sessionHash, field(form, 'once'), [name, jurisdiction, region, displayName], async () => {
      try {
        await fleet.create(name, { jurisdiction, ...(region ? { region } : {}), ...(displayName ? { displayName } : {}), actor: admin.actor });
      } catch (error) {
        const described = describeError(error);
        return { ok: false, refusal: { intent, code: described.code, error: described.message, values } };
      }
      return { ok: true, location: `/instances/${encodeURIComponent(name)}?created=1` };
    });
    return outcome.ok ? redirect(outcome.location) : data<InstancesActionResult>(outcome.refusal, { status: 400 });
  }
  if (intent === 'import') {
    const outcome = await importUploaded(fleet, admin, form, file);
    return outcome.ok ? redirect(outcome.location) : data<InstancesActionResult>(outcome.result, { status: 400 });
  }
  return data<InstancesActionResult>({ intent: 'create', code: 'INVALID_INPUT', error: 'Unknown action.', values }, { status: 400 });
}

export type ImportOutcome = { ok: true; location: string } | { ok: false; result: InstancesActionResult };

/**
 * Imports the uploaded file as the instance the form names: where its page is, or why not.
 * The import form's action and its upload route with progress (instances-import.ts) share it.
 */
export async function importUploaded(fleet: Fleet, admin: AdminSession, form: FormData, file: UploadedFile | undefined): Promise<ImportOutcome> {
  const name = field(form, 'name');
  const jurisdiction = field(form, 'jurisdiction');
  const region = field(form, 'region');
  const values = { name, jurisdiction, region };
  if (!file || file.size === 0) return { ok: false, result: { intent: 'import', code: 'INVALID_INPUT', error: 'Choose a .sqlite file to import.', values } };
  try {
    await fleet.importFile(name, file.path, { jurisdiction, ...(region ? { region } : {}), actor: admin.actor });
  } catch (error) {
    const described = describeError(error);
    return { ok: false, result: { intent: 'import', code: described.code, error: described.message, values } };
  }
  return { ok: true, location: `/instances/${encodeURIComponent(name)}?imported=1` };
}
