import { formatCount, formatDuration } from '@silo/fleet/format';
import { useRef } from 'react';
import { Form } from 'react-router';
import type { Route } from './+types/route';
import { adminView } from '../../lib/app-config.server';
import { fleetContext } from '../../lib/fleet.server';
import { currentAdmin, smallForm } from '../../lib/http.server';
import { countTargets, parseFleetQuery } from '../../lib/fleet-query.server';
import { toRows } from '../../lib/results.server';
import { CsrfField, useShell } from '../../components/csrf';
import { SqlEditor } from '../../components/sql-editor';
import { SelectField, choicesOf, regionChoices } from '../../components/select-field';
import type { Run } from './run';
import { RunResults } from './run-results';
import { SavedQueries } from '../../components/saved-queries';
import { useFleetQuery } from './use-fleet-query';

export const meta: Route.MetaFunction = () => [{ title: 'Fleet query · Silo admin' }];

export async function loader({ context }: Route.LoaderArgs) {
  const fleet = context.get(fleetContext);
  const admin = currentAdmin(context);
  return {
    saved: fleet.savedQueries.list(admin.userId),
    startingSql: (await adminView()).fleetQuerySql,
    jurisdictions: fleet.regions.jurisdictions,
    regions: fleet.regions.all.map((r) => ({ id: r.id, jurisdiction: r.jurisdiction })),
    ready: countTargets(fleet, {}),
    limits: fleet.settings.query,
  };
}

/** Without JavaScript the form posts here and the whole result comes back at once. */
export async function action({ request, context }: Route.ActionArgs) {
  const admin = currentAdmin(context);
  const fleet = context.get(fleetContext);
  const { sql, filter } = parseFleetQuery(await smallForm(request), fleet);
  const run: Run = { total: countTargets(fleet, filter), ok: [], errors: [], finished: true };
  const started = performance.now();
  if (sql.trim() !== '') {
    // A closed tab stops the run (QUERY_ABORTED, not logged: React Router's handleError skips aborted requests).
    for await (const event of fleet.queryAll(sql, { filter, actor: admin.actor, signal: request.signal })) {
      if (event.status === 'ok') run.ok.push({ type: 'ok', instance: event.instance, columns: event.columns, rows: toRows(event.rows), truncated: event.truncated, durationMs: event.durationMs });
      else run.errors.push({ type: 'error', instance: event.instance, code: event.code, error: event.error, durationMs: event.durationMs });
    }
  }
  run.durationMs = performance.now() - started;
  return { sql, run };
}

export default function FleetQuery({ loaderData, actionData }: Route.ComponentProps) {
  const { startingSql, jurisdictions, regions, ready, limits, saved } = loaderData;
  const { csrf } = useShell();
  const formRef = useRef<HTMLFormElement>(null);
  const csvRef = useRef<HTMLFormElement>(null);
  const { run, start, stop } = useFleetQuery(formRef, actionData?.run ?? null);
  const running = run !== null && !run.finished;

  return (
    <>
      <h1>Fleet query</h1>
      <p className="muted">
        One read-only statement on every ready instance ({formatCount(ready)} now), or on those you filter. Each instance stops after{' '}
        {formatDuration(limits.timeoutMs)} and returns at most {formatCount(limits.maxRows)} rows.
      </p>
      <Form
        method="post"
        ref={formRef}
        className="stack"
        aria-label="Fleet query"
        onSubmit={(event) => {
          event.preventDefault();
          if (!running) void start();
        }}
      >
        <CsrfField />
        <SqlEditor
          name="sql"
          label="SQL to run on each instance"
          defaultValue={actionData?.sql ?? startingSql}
          onRun={() => {
            if (!running) void start();
          }}
        />
        <div className="filters">
          <SelectField label="Jurisdiction" name="jurisdiction" empty="all" choices={choicesOf(jurisdictions)} />
          <SelectField label="Region" name="region" empty="all" choices={regionChoices(regions)} />
          <label>
            Name contains
            <input type="search" name="q" />
          </label>
          {/* aria-disabled, not disabled: the focus stays on it while the run goes on. */}
          <button type="submit" className="primary" aria-disabled={running}>
            {running ? 'Running…' : 'Run on the fleet'}
          </button>
          {running ? (
            <button type="button" onClick={stop}>
              Stop
            </button>
          ) : null}
          <button
            type="button"
            onClick={() => {
              const source = formRef.current;
              const target = csvRef.current;
              if (!source || !target) return;
              for (const name of ['sql', 'jurisdiction', 'region', 'q']) {
                const from = source.elements.namedItem(name);
                const to = target.elements.namedItem(name);
                if ((from instanceof HTMLTextAreaElement || from instanceof HTMLSelectElement || from instanceof HTMLInputElement) && to instanceof HTMLInputElement) to.value = from.value;
              }
              target.submit();
            }}
          >
            Download CSV
          </button>
        </div>
      </Form>
      <form method="post" action="/query/csv" ref={csvRef} hidden>
        <input type="hidden" name="csrf" value={csrf} />
        <input type="hidden" name="sql" />
        <input type="hidden" name="jurisdiction" />
        <input type="hidden" name="region" />
        <input type="hidden" name="q" />
      </form>
      <details className="card">
        <summary>Saved queries ({formatCount(saved.length)})</summary>
        <SavedQueries saved={saved} formRef={formRef} />
      </details>

      {run ? <RunResults run={run} /> : null}
    </>
  );
}
