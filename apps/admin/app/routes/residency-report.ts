import { redirect } from 'react-router';
import { isSiloError } from '@silo/fleet';
import { residencyMarkdown } from '@silo/fleet/internal';
import type { Route } from './+types/residency-report';
import { fleetContext } from '../lib/fleet.server';
import { currentAdmin, field, notFound, smallForm } from '../lib/http.server';

/**
 * POST (a CSRF-checked form): a residency report to hand to an auditor, as JSON (the listing
 * and its SHA-256) or Markdown. The report, who took it and its hash go into the audit log.
 */
export async function action({ request, context }: Route.ActionArgs) {
  const admin = currentAdmin(context);
  const fleet = context.get(fleetContext);
  const form = await smallForm(request);
  const instance = field(form, 'instance');
  const markdown = field(form, 'format') === 'md';
  try {
    const report = await fleet.residencyReportDocument({ actor: admin.actor, ...(instance ? { instance } : {}) });
    const stamp = report.listing.generatedAt.replace(/[:.]/g, '-');
    const body = markdown ? residencyMarkdown(report.listing, report.sha256, report.producedBy) : `${JSON.stringify(report, null, 2)}\n`;
    return new Response(body, {
      headers: {
        'Content-Type': markdown ? 'text/markdown; charset=utf-8' : 'application/json; charset=utf-8',
        'Content-Disposition': `attachment; filename="residency-${stamp}.${markdown ? 'md' : 'json'}"`,
        'X-Residency-SHA256': report.sha256,
        'Cache-Control': 'no-store',
      },
    });
  } catch (error) {
    if (isSiloError(error, 'INSTANCE_NOT_FOUND')) return notFound(error.message);
    throw error;
  }
}

/** A GET takes no report: send the browser to the page, where the button is. */
export function loader() {
  return redirect('/residency');
}
