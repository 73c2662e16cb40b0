import type { Fleet } from '@silo/fleet';
import type { AdminSession } from './auth.server';
import { describeError, field } from './http.server';

/**
 * The save and delete intents of the saved-queries panel, for any page that shows it; undefined
 * for another intent. Saved queries belong to the signed-in admin only.
 */
export function savedQueryAction(fleet: Fleet, admin: AdminSession, form: FormData): { savedQuery?: string; deleted?: boolean; error?: string } | undefined {
  const intent = field(form, 'intent');
  try {
    if (intent === 'save-query') {
      const sql = form.get('sql');
      return { savedQuery: fleet.savedQueries.save(admin.userId, field(form, 'name'), typeof sql === 'string' ? sql : '').name };
    }
    if (intent === 'delete-query') return { deleted: fleet.savedQueries.remove(admin.userId, Number(field(form, 'id'))) };
  } catch (error) {
    return { error: describeError(error).message };
  }
  return undefined;
}
