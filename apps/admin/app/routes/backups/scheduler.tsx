import { formatCount, formatDuration } from '@silo/fleet/format';
import type { BackupOverview } from '@silo/fleet';
import { pointTime } from '../../lib/backups';
import { relativeTime } from '../../lib/format';

/** Which process runs the scheduler, and what its last cycle did. */
export function SchedulerSection({ scheduler, now }: { scheduler: BackupOverview['scheduler']; now: number }) {
  const cycle = scheduler?.lastCycle ?? null;
  return (
    <section aria-labelledby="scheduler-h" className="overview-section card">
      <h2 id="scheduler-h">Scheduler</h2>
      {scheduler ? (
        <dl className="details" data-testid="scheduler">
          <dt>Running in</dt>
          <dd>
            <code>{scheduler.owner}</code> since {pointTime(scheduler.since)} UTC (lease until {pointTime(scheduler.expiresAt)} UTC)
          </dd>
          <dt>Last cycle</dt>
          <dd>
            {cycle
              ? `${relativeTime(cycle.at, now)}: ${formatCount(cycle.scanned)} scanned, ${formatCount(cycle.changed)} changed, ${formatCount(cycle.backedUp)} backed up, ${formatCount(cycle.failed)} failed, in ${formatDuration(cycle.durationMs)}`
              : 'none yet'}
            {cycle?.catalogError ? <span className="error"> Catalog backup failed: {cycle.catalogError}</span> : null}
          </dd>
        </dl>
      ) : (
        <p className="warning-box" data-testid="scheduler">
          No process is running the backup scheduler now. The admin console starts it when backups are on; or run <code>silo backup run</code>.
        </p>
      )}
    </section>
  );
}
