import { formatCount, formatDuration } from '@silo/fleet/format';
import { useRef, useState } from 'react';
import { Form } from 'react-router';
import type { Route } from './+types/fleet-query';
import { fleetContext } from '../lib/fleet.server';
import { currentAdmin, smallForm } from '../lib/http.server';
import { countTargets, parseFleetQuery } from '../lib/fleet-query.server';
import { toRows } from '../lib/results.server';
import { readNdjson, type FleetQueryEvent } from '../lib/ndjson';
import { CsrfField, useShell } from '../components/csrf';
import { SqlEditor } from '../components/sql-editor';
import { ResultTable } from '../components/result-table';
import { SelectField, choicesOf, regionChoices } from '../components/select-field';

export const meta: Route.MetaFunction = () => [{ title: 'Fleet query · Silo admin' }];

export function loader({ context }: Route.LoaderArgs) {
  const fleet = context.get(fleetContext);
  return {
    jurisdictions: fleet.regions.jurisdictions,
    regions: fleet.regions.all.map((r) => ({ id: r.id, jurisdiction: r.jurisdiction })),
    ready: countTargets(fleet, {}),
    limits: fleet.settings.query,
  };
}

type OkResult = Extract<FleetQueryEvent, { type: 'ok' }>;
type ErrorResult = Extract<FleetQueryEvent, { type: 'error' }>;

interface Run {
  total: number;
  ok: OkResult[];
  errors: ErrorResult[];
  finished: boolean;
  durationMs?: number;
  fatal?: string;
}

/** Without JavaScript the form posts here and the whole result comes back at once. */
export async function action({ request, context }: Route.ActionArgs) {
  const admin = currentAdmin(context);
  const fleet = context.get(fleetContext);
  const { sql, filter } = parseFleetQuery(await smallForm(request), fleet);
  const run: Run = { total: countTargets(fleet, filter), ok: [], errors: [], finished: true };
  const started = performance.now();
  if (sql.trim() !== '') {
    for await (const event of fleet.queryAll(sql, { filter, actor: admin.actor })) {
      if (event.status === 'ok') run.ok.push({ type: 'ok', instance: event.instance, columns: event.columns, rows: toRows(event.rows), truncated: event.truncated, durationMs: event.durationMs });
      else run.errors.push({ type: 'error', instance: event.instance, code: event.code, error: event.error, durationMs: event.durationMs });
    }
  }
  run.durationMs = performance.now() - started;
  return { sql, run };
}

export default function FleetQuery({ loaderData, actionData }: Route.ComponentProps) {
  const { jurisdictions, regions, ready, limits } = loaderData;
  const { csrf } = useShell();
  const formRef = useRef<HTMLFormElement>(null);
  const csvRef = useRef<HTMLFormElement>(null);
  const abortRef = useRef<AbortController | null>(null);
  const [run, setRun] = useState<Run | null>(actionData?.run ?? null);
  const running = run !== null && !run.finished;

  async function start(): Promise<void> {
    const form = formRef.current;
    if (!form) return;
    abortRef.current?.abort();
    const abort = new AbortController();
    abortRef.current = abort;
    const body = new URLSearchParams();
    for (const [key, value] of new FormData(form)) if (typeof value === 'string') body.append(key, value);
    const state: Run = { total: 0, ok: [], errors: [], finished: false };
    setRun({ ...state });
    try {
      const response = await fetch('/query/stream', { method: 'POST', body, headers: { 'X-CSRF-Token': csrf }, signal: abort.signal });
      if (!response.ok) throw new Error((await response.text()) || `HTTP ${response.status}`);
      let lastPaint = 0;
      for await (const event of readNdjson<FleetQueryEvent>(response)) {
        if (event.type === 'start') state.total = event.total;
        else if (event.type === 'ok') state.ok.push(event);
        else if (event.type === 'error') state.errors.push(event);
        else if (event.type === 'done') {
          state.finished = true;
          state.durationMs = event.durationMs;
        } else if (event.type === 'fatal') {
          state.finished = true;
          state.fatal = event.error;
        }
        const now = performance.now();
        if (state.finished || now - lastPaint > 100) {
          lastPaint = now;
          setRun({ ...state, ok: [...state.ok], errors: [...state.errors] });
        }
      }
    } catch (error) {
      if (abort.signal.aborted) return;
      setRun({ ...state, finished: true, fatal: error instanceof Error ? error.message : String(error) });
    }
  }

  const done = run ? run.ok.length + run.errors.length : 0;
  const combined = run ? combine(run.ok) : { columns: [], rows: [] };

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
          void start();
        }}
      >
        <CsrfField />
        <SqlEditor name="sql" label="SQL to run on each instance" defaultValue={actionData?.sql ?? 'SELECT count(*) AS todos, sum(completed) AS completed FROM todos'} onRun={() => void start()} />
        <div className="filters">
          <SelectField label="Jurisdiction" name="jurisdiction" empty="all" choices={choicesOf(jurisdictions)} />
          <SelectField label="Region" name="region" empty="all" choices={regionChoices(regions)} />
          <label>
            Name contains
            <input type="search" name="q" />
          </label>
          <button type="submit" className="primary" disabled={running}>
            {running ? 'Running…' : 'Run on the fleet'}
          </button>
          {running ? (
            <button type="button" onClick={() => { abortRef.current?.abort(); setRun((r) => (r ? { ...r, finished: true, fatal: 'Stopped.' } : r)); }}>
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

      {run ? (
        <section aria-labelledby="fq-results" aria-busy={running}>
          <h2 id="fq-results" className="visually-hidden">
            Results
          </h2>
          <div className="progress" role="status" aria-live="polite">
            <span data-testid="fq-progress">
              {run.finished ? 'Finished' : 'Running'}: {formatCount(done)} of {formatCount(run.total)} instances · {formatCount(run.ok.length)} ok ·{' '}
              {formatCount(run.errors.length)} failed
              {run.durationMs !== undefined ? ` · ${formatDuration(run.durationMs)}` : ''}
            </span>
            <progress max={Math.max(1, run.total)} value={done} aria-label="Instances done" />
          </div>
          {run.fatal ? (
            <p className="error" role="alert">
              {run.fatal}
            </p>
          ) : null}
          {run.errors.length > 0 ? (
            <div className="card" data-testid="fq-errors">
              <h3>Errors ({formatCount(run.errors.length)})</h3>
              <ul>
                {run.errors.map((e) => (
                  <li key={e.instance}>
                    <strong>{e.instance}</strong>: {e.code}: {e.error}
                  </li>
                ))}
              </ul>
            </div>
          ) : null}
          <p className="result-meta">
            {formatCount(combined.rows.length)} rows combined{run.ok.some((r) => r.truncated) ? ' · some instances were truncated' : ''}
          </p>
          <ResultTable columns={combined.columns} rows={combined.rows} label="Combined results" />
        </section>
      ) : null}
    </>
  );
}

/** One table: an `instance` column, then the union of the columns, in first-seen order. */
function combine(results: readonly OkResult[]): { columns: string[]; rows: (string | number | null)[][] } {
  const columns: string[] = [];
  for (const result of results) for (const column of result.columns) if (!columns.includes(column)) columns.push(column);
  const rows: (string | number | null)[][] = [];
  const sorted = [...results].sort((a, b) => a.instance.localeCompare(b.instance));
  for (const result of sorted) {
    const index = result.columns.map((column) => columns.indexOf(column));
    for (const row of result.rows) {
      const cells: (string | number | null)[] = new Array<string | number | null>(columns.length).fill(null);
      row.forEach((value, i) => {
        const at = index[i] ?? -1;
        if (at >= 0) cells[at] = value;
      });
      rows.push([result.instance, ...cells]);
    }
  }
  return { columns: ['instance', ...columns], rows };
}
