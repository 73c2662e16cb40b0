import type { Fleet } from '@silo/fleet';
import { data, redirect } from 'react-router';
import type { AdminSession } from '../../lib/auth.server';
import { describeError, field } from '../../lib/http.server';
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
    try {
      await fleet.create(name, { jurisdiction, ...(region ? { region } : {}), ...(displayName ? { displayName } : {}), actor: admin.actor });
    } catch (error) {
      const described = describeError(error);
      return data<InstancesActionResult>({ intent, code: described.code, error: described.message, values }, { status: 400 });
    }
    return redirect(`/instances/${encodeURIComponent(name)}?created=1`);
  }
  if (intent === 'import') {
    if (!file || file.size === 0) {
      return data<InstancesActionResult>({ intent, code: 'INVALID_INPUT', error: 'Choose a .sqlite file to import.', values }, { status: 400 });
    }
    try {
      await fleet.importFile(name, file.path, { jurisdiction, ...(region ? { region } : {}), actor: admin.actor });
    } catch (error) {
      const described = describeError(error);
      return data<InstancesActionResult>({ intent, code: described.code, error: described.message, values }, { status: 400 });
    }
    return redirect(`/instances/${encodeURIComponent(name)}?imported=1`);
  }
  return data<InstancesActionResult>({ intent: 'create', code: 'INVALID_INPUT', error: 'Unknown action.', values }, { status: 400 });
}
