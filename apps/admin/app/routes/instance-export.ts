import { Readable } from 'node:stream';
import { redirect } from 'react-router';
import { isSiloError } from '@silo/fleet';
import type { Route } from './+types/instance-export';
import { fleetContext } from '../lib/fleet.server';
import { downloadStarted } from '../lib/download.server';
import { currentAdmin, notFound, smallForm } from '../lib/http.server';

/** POST (a CSRF-checked form): streams a consistent .sqlite snapshot; the export is audited. */
export async function action({ params, context, request }: Route.ActionArgs) {
  const admin = currentAdmin(context);
  const fleet = context.get(fleetContext);
  const form = await smallForm(request);
  try {
    const file = await fleet.exportStream(params.name, { actor: admin.actor });
    return new Response(Readable.toWeb(file.stream) as ReadableStream<Uint8Array>, {
      headers: {
        'Content-Type': 'application/vnd.sqlite3',
        'Content-Length': String(file.sizeBytes),
        'Content-Disposition': `attachment; filename="${file.fileName}"`,
        'Cache-Control': 'no-store',
        ...downloadStarted(form),
      },
    });
  } catch (error) {
    if (isSiloError(error, 'INSTANCE_NOT_FOUND')) return notFound(error.message);
    if (isSiloError(error)) return new Response(error.message, { status: 409, headers: { 'Content-Type': 'text/plain; charset=utf-8' } });
    throw error;
  }
}

/** A GET is not an export: send the browser to the instance page, where the button is. */
export function loader({ params }: Route.LoaderArgs) {
  return redirect(`/instances/${encodeURIComponent(params.name)}`);
}
