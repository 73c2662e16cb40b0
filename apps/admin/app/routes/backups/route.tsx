import { data, useActionData } from 'react-router';
import type { Route } from './+types/route';
import { fleetContext } from '../../lib/fleet.server';
import { currentAdmin, describeError, field, smallForm } from '../../lib/http.server';
import { backupsPage } from '../../lib/backups.server';
import { formatInterval } from '../../lib/backups';
import { useLiveRevalidate } from '../../components/live';
import { useSticky } from '../../components/sticky';
import { InstanceCounts, FailingBackups } from './instance-counts';
import { BackupLocations } from './locations';
import { SchedulerSection } from './scheduler';
import { MAX_SAMPLE, VerificationSection, type VerifyAnswer } from './verification';

export const meta: Route.MetaFunction = () => [{ title: 'Backups · Silo admin' }];

export function loader({ context }: Route.LoaderArgs) {
  return backupsPage(context.get(fleetContext));
}

export async function action({ request, context }: Route.ActionArgs) {
  const admin = currentAdmin(context);
  const fleet = context.get(fleetContext);
  const form = await smallForm(request);
  const raw = field(form, 'sample');
  const sample = Number(raw);
  if (!Number.isSafeInteger(sample) || sample < 1 || sample > MAX_SAMPLE) {
    return data({ error: `The sample is a whole number from 1 to ${MAX_SAMPLE}; got "${raw}".`, field: 'sample' as const }, { status: 400 });
  }
  try {
    const report = await fleet.backups.verify({ actor: admin.actor, sample });
    return { ok: `Verified ${report.checked} instance${report.checked === 1 ? '' : 's'}: ${report.failed} failed.`, failed: report.failed };
  } catch (error) {
    return data({ error: describeError(error).message, field: undefined }, { status: 400 });
  }
}

export default function Backups({ loaderData }: Route.ComponentProps) {
  const { overview, verifySample, now } = loaderData;
  const result = useSticky<VerifyAnswer>(useActionData<typeof action>(), 'backups');
  useLiveRevalidate(10_000);
  return (
    <>
      <div className="page-head">
        <h1>Backups</h1>
        <p className="muted">
          {overview.enabled ? `Automatic: changed instances are backed up every ${formatInterval(overview.intervalMs)}.` : 'The scheduler is off (SILO_BACKUPS=off): only “Back up now” takes points.'}
        </p>
      </div>
      <SchedulerSection scheduler={overview.scheduler} now={now} />
      <InstanceCounts overview={overview} now={now} />
      <FailingBackups failing={overview.failing} now={now} />
      <VerificationSection lastVerification={overview.lastVerification} verifySample={verifySample} now={now} result={result} />
      <BackupLocations locations={overview.locations} retiredLocations={overview.retiredLocations} />
    </>
  );
}
