import type { BackupOverview } from '@silo/fleet';
import { useEffect, useRef } from 'react';
import { Link, useNavigation } from 'react-router';
import { CsrfField } from '../../components/csrf';
import { DataTable, type DataColumn } from '../../components/data-table';
import { OnceForm, SubmitButton } from '@silo/web/once-form';
import { pointTime } from '../../lib/backups';
import { relativeTime } from '../../lib/format';

/** More than this many instances restored in one request would hold the page for minutes: the CLI is for that. */
export const MAX_SAMPLE = 100;

/** The action's answer to "Verify a sample now". */
export type VerifyAnswer = { ok: string; failed: number } | { error: string; field: 'sample' | undefined };

type Check = NonNullable<BackupOverview['lastVerification']>['results'][number];

const FAILED_COLUMNS: readonly DataColumn<Check>[] = [
  { header: 'Instance', cell: (row) => <Link to={`/instances/${row.instance}`}>{row.instance}</Link> },
  { header: 'Point', cell: (row) => <code>{row.pointId ?? '—'}</code> },
  { header: 'Problems', cell: (row) => row.problems.join('; '), className: 'detail error' },
];

interface Props {
  lastVerification: BackupOverview['lastVerification'];
  verifySample: number;
  now: number;
  result: VerifyAnswer | undefined;
}

/** The last verification run, its failures, and the form that runs one on a sample. */
export function VerificationSection({ lastVerification, verifySample, now, result }: Props) {
  const navigation = useNavigation();
  const verifying = navigation.state === 'submitting' && navigation.formAction === '/backups';
  const messageRef = useRef<HTMLParagraphElement>(null);
  useEffect(() => {
    if (!result) return;
    if ('field' in result && result.field === 'sample') document.getElementById('verify-sample')?.focus();
    else messageRef.current?.focus();
  }, [result]);
  const failedChecks = lastVerification?.results.filter((r) => !r.ok) ?? [];
  return (
    <section aria-labelledby="verify-h" className="overview-section card stack">
      <h2 id="verify-h">Verification</h2>
      <p className="muted small">A check restores the latest point of each sampled instance to a temporary file, runs SQLite&apos;s integrity check and compares row counts with those recorded at backup time.</p>
      <div data-testid="verification">
        {lastVerification === null ? (
          <p>No verification has run yet.</p>
        ) : (
          <p>
            Last run {pointTime(lastVerification.at)} UTC ({relativeTime(lastVerification.at, now)}): {lastVerification.checked} checked,{' '}
            <span className={lastVerification.failed > 0 ? 'badge bad' : 'badge ok'}>{lastVerification.failed} failed</span>
          </p>
        )}
      </div>
      {failedChecks.length > 0 ? <DataTable label="Failed verifications" columns={FAILED_COLUMNS} rows={failedChecks} rowKey={(row) => row.instance} /> : null}
      <div aria-live="polite">
        {result && 'ok' in result ? (
          <p className={result.failed > 0 ? 'error' : 'notice'} role={result.failed > 0 ? 'alert' : undefined} ref={messageRef} tabIndex={-1} data-testid="verify-result">
            {result.ok}
          </p>
        ) : null}
        {result && 'error' in result && result.field === undefined ? (
          <p className="error" role="alert" ref={messageRef} tabIndex={-1}>
            {result.error}
          </p>
        ) : null}
      </div>
      <OnceForm method="post" className="inline-form" aria-label="Verify a sample">
        <CsrfField />
        <label htmlFor="verify-sample">
          Instances to check
          <input
            id="verify-sample"
            name="sample"
            type="number"
            min={1}
            max={MAX_SAMPLE}
            required
            defaultValue={verifySample > 0 ? verifySample : 5}
            {...(result && 'field' in result && result.field === 'sample' ? { 'aria-invalid': true, 'aria-describedby': 'verify-sample-error' } : {})}
          />
        </label>
        <SubmitButton className="primary">{verifying ? 'Verifying…' : 'Verify a sample now'}</SubmitButton>
      </OnceForm>
      {result && 'field' in result && result.field === 'sample' ? (
        <p id="verify-sample-error" className="error" role="alert">
          {result.error}
        </p>
      ) : null}
    </section>
  );
}
