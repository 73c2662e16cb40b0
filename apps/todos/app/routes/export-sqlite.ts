import { createReadableStreamFromReadable } from '@react-router/node';
import { CUSTOMER_EXPORT_REDACTIONS } from '../export-redactions.server';
import { notADownload, requireExportBudget, requireOwner } from '../auth.server';
import type { Route } from './+types/export-sqlite';

/**
 * The list's database as a consistent SQLite snapshot, streamed from its region: the owner's
 * copy of the customer's data (todos, member emails and roles). Password hashes, sessions and
 * invites are removed from the staged copy first; operators export the full file (silo export).
 */
export async function loader({ context, request }: Route.LoaderArgs) {
  const { tenant, viewer } = requireOwner(context, request);
  const headers = { 'Content-Type': 'application/vnd.sqlite3', 'Content-Disposition': `attachment; filename="${tenant.name}.sqlite"`, 'Cache-Control': 'no-store' };
  const refusal = notADownload(request, headers);
  if (refusal) return refusal;
  await requireExportBudget(tenant);
  const file = await tenant.fleet.exportStream(tenant.name, { actor: `todos:${viewer.email}`, redact: CUSTOMER_EXPORT_REDACTIONS });
  return new Response(createReadableStreamFromReadable(file.stream), { headers: { ...headers, 'Content-Length': String(file.sizeBytes) } });
}
