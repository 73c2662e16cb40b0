import { isSiloError, type Fleet } from '@silo/fleet';
import { MOMENT_FORMATS, parseMoment as parseSharedMoment } from '@silo/fleet/format';
import { describeError, field } from './http.server';
import type { BackupAction, BackupPanelView, BackupsPageView } from './backups';

/** Points with sizes on the instance page (each manifest is read once per process; the page refreshes every few seconds). */
const PANEL_POINTS = 20;

/** The instance page's backups panel, or null when the instance has none to show (provisioning, failed). */
export async function backupPanel(fleet: Fleet, name: string): Promise<BackupPanelView | null> {
  let status;
  let points;
  let hasUndo;
  try {
    status = await fleet.backups.status(name);
    points = await fleet.backups.list(name, { limit: PANEL_POINTS, details: true });
    // Undo goes back to the newest undo point however old it is, also one past the points shown.
    hasUndo = status.lastUndoAt !== null;
  } catch (error) {
    if (isSiloError(error, 'INSTANCE_NOT_FOUND')) return null;
    // The rest of the page still works when the backup location cannot be read.
    return { unavailable: describeError(error).message };
  }
  return {
    status,
    points,
    hasUndo,
    intervalMs: fleet.settings.backups.intervalMs,
  };
}

export function backupsPage(fleet: Fleet): BackupsPageView {
  return { overview: fleet.backups.overview(), verifySample: fleet.settings.backups.verifySample, now: Date.now() };
}

/** Which form field a fleet error belongs to, so it is shown (and focused) next to it. */
function fieldOf(code: string, form: FormData): BackupAction['field'] {
  if (code === 'INVALID_NAME' || code === 'NAME_TAKEN') return 'newName';
  if (code === 'BACKUP_NOT_FOUND' && field(form, 'moment')) return 'moment';
  return undefined;
}

/**
 * `datetime-local` sends a wall-clock time without a zone: the rule shared with the CLI's
 * `--at` (`parseMoment` of @silo/fleet/format) reads it in UTC, the zone the console shows.
 */
export const parseMoment = (raw: string): number => parseSharedMoment(raw);

/** The restore moment: a typed moment wins over the chosen point. */
function restoreTime(form: FormData): { at: number } | { error: string; field: BackupAction['field'] } {
  const moment = field(form, 'moment');
  if (moment) {
    const at = parseMoment(moment);
    return Number.isFinite(at) ? { at } : { error: `"${moment}" is not a date and time: use ${MOMENT_FORMATS}.`, field: 'moment' };
  }
  const point = Number(field(form, 'point'));
  if (!Number.isSafeInteger(point) || point <= 0) return { error: 'Choose a backup point or type a moment.', field: 'point' };
  return { at: point };
}

/**
 * The backup actions of the instance page. Returns what the panel shows, or the path to go to
 * (a restore as a new instance opens the new instance). Fleet errors become inline messages.
 */
export async function backupAction(fleet: Fleet, name: string, intent: string, form: FormData, actor: string): Promise<BackupAction | { redirect: string }> {
  const values = { point: field(form, 'point'), moment: field(form, 'moment'), newName: field(form, 'newName'), mode: field(form, 'mode') };
  const fail = (error: string, at?: BackupAction['field']): BackupAction => ({ intent, error, ...(at ? { field: at } : {}), values });
  try {
    switch (intent) {
      case 'backup-now': {
        // A storage failure is BACKUP_FAILED naming the location; it is also the instance's last error.
        const point = await fleet.backups.now(name, { actor });
        return { intent, ok: `Backed up ${name}: point ${point.id}.`, values };
      }
      case 'backup-restore': {
        const time = restoreTime(form);
        if ('error' in time) return fail(time.error, time.field);
        if (values.mode === 'in-place') {
          if (field(form, 'confirm') !== name) return fail(`Type the instance name "${name}" to confirm replacing its data.`, 'confirm');
          const result = await fleet.backups.restore(name, { at: time.at, inPlace: true, actor });
          const undoAt = result.undoPoint ? new Date(result.undoPoint.takenAt).toISOString() : 'now';
          return {
            intent,
            ok: `Restored ${name} in place to the point of ${new Date(result.point.takenAt).toISOString()}. The data it replaced is kept as an undo point (${undoAt}): "Undo last restore" brings it back.`,
            values,
          };
        }
        if (values.mode !== 'new') return fail('Choose how to restore: as a new instance or in place.');
        if (!values.newName) return fail('Give the new instance a name.', 'newName');
        const result = await fleet.backups.restore(name, { at: time.at, as: values.newName, actor });
        return { redirect: `/instances/${encodeURIComponent(result.instance.name)}?restored=${encodeURIComponent(name)}` };
      }
      case 'backup-undo': {
        const result = await fleet.backups.undoRestore(name, { actor });
        return { intent, ok: `Undone: ${name} is back to its state of ${new Date(result.point.takenAt).toISOString()}.`, values };
      }
      default:
        return fail('Unknown backup action.');
    }
  } catch (error) {
    const { code, message } = describeError(error);
    return fail(message, fieldOf(code, form));
  }
}
