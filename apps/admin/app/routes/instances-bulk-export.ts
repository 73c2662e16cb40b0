import { Readable } from 'node:stream';
import { createGzip } from 'node:zlib';
import type { Fleet } from '@silo/fleet';
import type { Route } from './+types/instances-bulk-export';
import { adminView } from '../lib/app-config.server';
import { genericMessage, groupErrors } from '../lib/combine-results';
import { fleetContext } from '../lib/fleet.server';
import { downloadStarted } from '../lib/download.server';
import { currentAdmin, describeError, smallForm } from '../lib/http.server';
import { selectedInstances } from '../lib/instance-selection.server';
import { TAR_END, tarHeader, tarPadding } from '../lib/tar.server';

/** The report at the end of the archive: what is in it, and what is not and why. */
export const REPORT_FILE = 'export-report.json';

/**
 * POST (a CSRF-checked form): the checked instances, or every one matching the list's filter,
 * as one streamed .tar.gz of their .sqlite exports, one at a time, each export audited by the
 * fleet. An instance that cannot be exported does not stop the others: the archive ends with
 * export-report.json, its failures grouped by message. The browser's download shows progress.
 */
export async function action({ request, context }: Route.ActionArgs) {
  const admin = currentAdmin(context);
  const fleet = context.get(fleetContext);
  const form = await smallForm(request);
  const names = selectedInstances(form, fleet, await adminView());
  const archive = Readable.from(entries(fleet, names, admin.actor)).pipe(createGzip());
  const stamp = new Date().toISOString().slice(0, 19).replace(/[:T]/g, '-');
  return new Response(Readable.toWeb(archive) as ReadableStream<Uint8Array>, {
    headers: {
      'Content-Type': 'application/gzip',
      'Content-Disposition': `attachment; filename="silo-export-${stamp}.tar.gz"`,
      'Cache-Control': 'no-store',
      ...downloadStarted(form),
    },
  });
}

async function* entries(fleet: Fleet, names: readonly string[], actor: string): AsyncGenerator<Buffer> {
  const exported: { instance: string; file: string; sizeBytes: number }[] = [];
  const failures: { instance: string; code: string; error: string }[] = [];
  for (const name of names) {
    let file;
    try {
      file = await fleet.exportStream(name, { actor });
    } catch (error) {
      const { code, message } = describeError(error);
      failures.push({ instance: name, code, error: genericMessage(message, name) });
      continue;
    }
    // Once an entry's header is out its bytes must follow: a failure past this point ends the
    // download with an error rather than an archive that lies about an entry.
    yield tarHeader(file.fileName, file.sizeBytes, Date.now());
    let written = 0;
    for await (const chunk of file.stream as AsyncIterable<Buffer>) {
      written += chunk.length;
      yield chunk;
    }
    if (written !== file.sizeBytes) throw new Error(`The export of ${name} was ${written} bytes, not the ${file.sizeBytes} announced.`);
    yield tarPadding(written);
    exported.push({ instance: name, file: file.fileName, sizeBytes: written });
  }
  const report = Buffer.from(
    `${JSON.stringify({ exportedAt: new Date().toISOString(), requested: names.length, exported, failed: groupErrors(failures) }, null, 2)}\n`,
  );
  yield tarHeader(REPORT_FILE, report.length, Date.now());
  yield report;
  yield tarPadding(report.length);
  yield TAR_END;
}

export function loader() {
  return new Response('POST the instances to export to this address.', { status: 405, headers: { Allow: 'POST' } });
}
