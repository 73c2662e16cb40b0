import { formatCount, formatDuration } from '@silo/fleet/format';
import { useEffect, useRef, useState } from 'react';
import { Link, data, useNavigation, useSubmit } from 'react-router';
import { isSiloError } from '@silo/fleet';
import type { Route } from './+types/console';
import { fleetContext } from '../lib/fleet.server';
import { currentAdmin, describeError, field, smallForm } from '../lib/http.server';
import { toRows, type Cell } from '../lib/results.server';
import { CsrfField } from '../components/csrf';
import { OnceField } from '../components/once-field';
import { newFormToken, submitFormOnce } from '../lib/submit-once.server';
import { OnceForm, SubmitButton, usePosting } from '@silo/web/once-form';
import { SqlEditor, setEditorText, useSqlDraft } from '../components/sql-editor';
import { ResultTable } from '../components/result-table';
import { SavedQueries } from '../components/saved-queries';
import { relativeTime } from '../lib/format';

export const meta: Route.MetaFunction = ({ params }) => [{ title: `SQL console · ${params.name} · Silo admin` }];

// In creation order (sqlite_schema's rowid), so the first table is the schema's first: the
// console's starting query, whatever the app's schema is.
const SCHEMA_SQL = `SELECT m.name AS tbl, p.name AS col, m.type AS kind
  FROM sqlite_schema m JOIN pragma_table_info(m.name) p
  WHERE m.type IN ('table', 'view') AND m.name NOT LIKE 'sqlite_%'
  ORDER BY m.rowid, p.cid`;

/** The console's starting query: the first table's rows, or the schema itself when there is no table. */
function startingSqlFor(firstTable: string | undefined): string {
  return firstTable === undefined ? 'SELECT type, name, sql FROM sqlite_schema LIMIT 50' : `SELECT * FROM "${firstTable.replaceAll('"', '""')}" LIMIT 50`;
}

export async function loader({ params, request, context }: Route.LoaderArgs) {
  const fleet = context.get(fleetContext);
  const admin = currentAdmin(context);
  const instance = fleet.find(params.name);
  if (!instance) throw data(`No instance named "${params.name}".`, { status: 404 });
  const schema: Record<string, string[]> = {};
  let firstTable: string | undefined;
  if (instance.state === 'ready') {
    try {
      // A page left before its schema came stops that query (the request's signal).
      const result = await fleet.query(params.name, SCHEMA_SQL, undefined, { readOnly: true, limits: { maxRows: 5_000 }, signal: request.signal });
      for (const [table, column, kind] of result.rows) {
        if (typeof table === 'string' && typeof column === 'string') (schema[table] ??= []).push(column);
        if (kind === 'table' && typeof table === 'string') firstTable ??= table;
      }
    } catch {
      // Completion is a convenience: the console still works without it.
    }
  }
  return {
    name: instance.name,
    state: instance.state,
    // Each rendering of the form gets its own token: a write posted with it runs once (submit-once.server.ts).
    once: newFormToken(),
    schema,
    startingSql: startingSqlFor(firstTable),
    history: fleet.admins.recentQueries(params.name, 20),
    saved: fleet.savedQueries.list(admin.userId),
    limits: fleet.settings.query,
    now: Date.now(),
  };
}

type ConsoleResult =
  | { ok: true; sql: string; write: boolean; explain: boolean; columns: string[]; rows: Cell[][]; truncated: boolean; rowsAffected: number; statements: number; durationMs: number }
  | { ok: false; sql: string; write: boolean; code: string; error: string; durationMs: number };

export async function action({ params, request, context }: Route.ActionArgs) {
  const admin = currentAdmin(context);
  const fleet = context.get(fleetContext);
  const form = await smallForm(request);
  const sql = typeof form.get('sql') === 'string' ? (form.get('sql') as string) : '';
  const explain = field(form, 'explain') === '1';
  // A plan is read-only whatever the switch says: EXPLAIN never runs the statement.
  const write = !explain && field(form, 'mode') === 'write';
  if (sql.trim() === '') {
    return data<ConsoleResult>({ ok: false, sql, write, code: 'INVALID_INPUT', error: 'Write a SQL statement first.', durationMs: 0 }, { status: 400 });
  }
  const run = async (): Promise<ConsoleResult> => {
    const started = performance.now();
    const record = (ok: boolean, rowCount: number, durationMs: number): void => {
      fleet.admins.recordQuery({ instance: params.name, actor: admin.actor, sql, mode: write ? 'write' : 'read', ok, durationMs: Math.round(durationMs), rowCount });
    };
    try {
      // A closed tab or a cancelled request stops the statement (QUERY_ABORTED): its query
      // process is killed, so a runaway does not hold it until the time limit.
      const result = await fleet.query(params.name, explain ? `EXPLAIN QUERY PLAN ${sql}` : sql, undefined, {
        readOnly: !write,
        actor: admin.actor,
        script: write,
        signal: request.signal,
      });
      record(true, result.rows.length || result.rowsAffected, result.durationMs);
      return {
        ok: true,
        sql,
        write,
        explain,
        columns: result.columns,
        rows: toRows(result.rows),
        truncated: result.truncated,
        rowsAffected: result.rowsAffected,
        statements: result.statements ?? 1,
        durationMs: result.durationMs,
      };
    } catch (error) {
      const durationMs = performance.now() - started;
      if (isSiloError(error, 'INSTANCE_NOT_FOUND')) throw data(error.message, { status: 404 });
      record(false, 0, durationMs);
      const described = describeError(error);
      return { ok: false, sql, write, code: described.code, error: described.message, durationMs };
    }
  };
  const answer = (result: ConsoleResult) => data<ConsoleResult>(result, result.ok ? undefined : { status: 400 });
  if (!write) return answer(await run());
  // A write posted again without JavaScript (a double click, a reload that resubmits it) is not
  // run a second time (an UPDATE … SET n = n + 1 would add 2): the repeat gets the first run's
  // answer. The form carries a token per rendering, so running the same statement again from
  // the answer's page is a run of its own.
  const outcome = await submitFormOnce<ConsoleResult, { readonly done: ConsoleResult }>(admin, form, ['console-write', params.name, sql], async () => {
    const result = await run();
    return result.ok ? { ok: true, done: result } : { ok: false, refusal: result };
  });
  return answer(outcome.ok ? outcome.done : outcome.refusal);
}

export default function Console({ loaderData, actionData }: Route.ComponentProps) {
  const { name, state, schema, startingSql, history, saved, limits, now, once } = loaderData;
  const formRef = useRef<HTMLFormElement>(null);
  const submit = useSubmit();
  const navigation = useNavigation();
  const running = navigation.state === 'submitting' && navigation.formMethod === 'POST' && navigation.formAction?.endsWith('/console') === true;
  const posting = usePosting();
  const [write, setWrite] = useState(actionData?.write ?? false);
  // Kept from a run until its answer, so a session that ends mid-run loses nothing.
  const draft = useSqlDraft(`console:${name}`, formRef);
  const { clear: clearDraft } = draft;
  useEffect(() => {
    if (actionData) clearDraft();
  }, [actionData, clearDraft]);

  return (
    <>
      <p className="crumbs">
        <Link to="/">Instances</Link> / <Link to={`/instances/${name}`}>{name}</Link> / <span>SQL console</span>
      </p>
      <h1>SQL console · {name}</h1>
      {state !== 'ready' ? (
        <p className="error" role="alert">
          This instance is {state}; only ready instances can be queried.
        </p>
      ) : null}
      <div className="console-grid">
        <section aria-labelledby="query-h">
          <h2 id="query-h" className="visually-hidden">
            Query
          </h2>
          {/* One run at a time (OnceForm); the buttons stay focusable meanwhile (aria-disabled), so
              the keyboard is not dropped on the page's body while a query runs. */}
          <OnceForm method="post" ref={formRef} className="stack" aria-label="Run SQL" onSubmit={() => draft.save()}>
            <CsrfField />
            <OnceField token={once} />
            <SqlEditor
              name="sql"
              label={`SQL for ${name}`}
              defaultValue={actionData?.sql ?? startingSql}
              schema={schema}
              onRun={() => {
                if (posting) return;
                draft.save();
                // Shown as running at once, as OnceForm does: a second Ctrl+Enter sends nothing.
                if (formRef.current) void submit(formRef.current, { flushSync: true });
              }}
              className={write ? 'write-on' : undefined}
            />
            <div className="row">
              <label className="check">
                <input type="checkbox" name="mode" value="write" checked={write} onChange={(event) => setWrite(event.currentTarget.checked)} />
                Write mode (changes data; several statements run as one transaction; audited)
              </label>
              <SubmitButton className={write ? 'danger' : 'primary'}>{running ? 'Running…' : write ? 'Run as write' : 'Run (read-only)'}</SubmitButton>
              <SubmitButton name="explain" value="1">
                EXPLAIN QUERY PLAN
              </SubmitButton>
              <span className="muted small">
                Ctrl+Enter runs · stops after {formatDuration(limits.timeoutMs)} · at most {formatCount(limits.maxRows)} rows
              </span>
            </div>
            {write ? (
              <p className="mode-banner" role="status">
                Write mode is ON: statements can change {name}&apos;s data.
              </p>
            ) : (
              <p className="muted small" role="status">
                Read-only: the database connection refuses any change.
              </p>
            )}
          </OnceForm>
          <div aria-live="polite" aria-busy={running}>
            {running ? (
              <p className="progress" role="status">
                Running… <progress aria-label="Query running" />
              </p>
            ) : null}
            {actionData ? <ResultView result={actionData} /> : null}
          </div>
        </section>
        <aside aria-labelledby="history-h" className="card console-side">
          <SavedQueries saved={saved} formRef={formRef} />
          <h2 id="history-h">Recent queries</h2>
          {history.length === 0 ? <p className="muted">None yet.</p> : null}
          <ul className="history">
            {history.map((entry) => (
              <li key={entry.id}>
                <code className="history-sql" title={entry.sql}>
                  {entry.sql}
                </code>
                <span className="history-meta">
                  <span className={`badge ${entry.ok ? 'ok' : 'bad'}`}>{entry.mode}</span>
                  <span className="muted small">{relativeTime(entry.at, now)}</span>
                  <button
                    type="button"
                    onClick={() => {
                      setEditorText(formRef.current, 'sql', entry.sql);
                      setWrite(entry.mode === 'write');
                    }}
                  >
                    Load<span className="visually-hidden"> this query into the editor</span>
                  </button>
                  {entry.mode === 'read' ? (
                    <OnceForm method="post">
                      <CsrfField />
                      <input type="hidden" name="sql" value={entry.sql} />
                      {/* One run at a time, as the Run button: focusable meanwhile, a press does nothing. */}
                      <SubmitButton>
                        Run again<span className="visually-hidden"> (read-only)</span>
                      </SubmitButton>
                    </OnceForm>
                  ) : null}
                </span>
              </li>
            ))}
          </ul>
        </aside>
      </div>
    </>
  );
}

function ResultView({ result }: { result: ConsoleResult }) {
  if (!result.ok) {
    return (
      <div className="card" role="alert" data-testid="query-error">
        <p className="error">
          <strong>{result.code}</strong>: {result.error}
        </p>
      </div>
    );
  }
  return (
    <div data-testid="query-result">
      <p className="result-meta">
        <span>
          {formatCount(result.rows.length)} row{result.rows.length === 1 ? '' : 's'}
        </span>
        {result.write ? <span>{formatCount(result.rowsAffected)} changed</span> : null}
        {result.statements > 1 ? <span>{formatCount(result.statements)} statements in one transaction</span> : null}
        <span>{formatDuration(result.durationMs)}</span>
        {result.truncated ? <strong className="error">Truncated: only the first rows are shown.</strong> : null}
      </p>
      {result.explain ? <QueryPlan rows={result.rows} /> : result.columns.length > 0 ? <ResultTable columns={result.columns} rows={result.rows} label="Query result" /> : null}
    </div>
  );
}

/** EXPLAIN QUERY PLAN's rows (id, parent, notused, detail) as the tree the sqlite3 shell draws. */
function QueryPlan({ rows }: { rows: readonly Cell[][] }) {
  const depth = new Map<Cell, number>([[0, -1]]);
  const lines = rows.map(([id, parent, , detail]) => {
    const level = (depth.get(parent ?? 0) ?? -1) + 1;
    depth.set(id ?? null, level);
    return { key: String(id), text: `${'   '.repeat(level)}${level > 0 ? '└─ ' : ''}${String(detail ?? '')}` };
  });
  return (
    <pre className="sql-block query-plan" data-testid="query-plan" aria-label="Query plan">
      {['QUERY PLAN', ...lines.map((line) => line.text)].join('\n')}
    </pre>
  );
}
