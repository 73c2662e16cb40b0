import { createReadableStreamFromReadable } from '@react-router/node';
import { requireViewer } from '../auth.server';
import type { Route } from './+types/export-sqlite';

/** The whole instance database as a consistent SQLite snapshot, streamed from its region. */
export async function loader({ context, request }: Route.LoaderArgs) {
  const { tenant, viewer } = requireViewer(context, request);
  const file = await tenant.fleet.exportStream(tenant.name, { actor: `todos:${viewer.email}` });
  return new Response(createReadableStreamFromReadable(file.stream), {
    headers: {
      'Content-Type': 'application/vnd.sqlite3',
      'Content-Length': String(file.sizeBytes),
      'Content-Disposition': `attachment; filename="${file.fileName}"`,
      'Cache-Control': 'no-store',
    },
  });
}
