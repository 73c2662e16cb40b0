import { data, useActionData, useNavigation } from 'react-router';
import { API_TOKEN_SCOPES, type ApiToken, type ApiTokenScope } from '@silo/fleet';
import type { Route } from './+types/route';
import { CsrfField } from '../../components/csrf';
import { OnceForm, SubmitButton } from '@silo/web/once-form';
import { DataTable, type DataColumn } from '../../components/data-table';
import { fleetContext } from '../../lib/fleet.server';
import { formatDate } from '../../lib/format';
import { currentAdmin, describeError, field, smallForm } from '../../lib/http.server';
import { newFormToken, submitFormOnce } from '../../lib/submit-once.server';
import { OnceField } from '../../components/once-field';

export const meta: Route.MetaFunction = () => [{ title: 'API tokens · Silo admin' }];

/** Lifetimes offered when creating a token, in days (0: never expires). */
const LIFETIMES = [0, 7, 30, 90, 365] as const;
const DAY_MS = 86_400_000;

export function loader({ context }: Route.LoaderArgs) {
  const fleet = context.get(fleetContext);
  // The scopes come with the data: a value imported from @silo/fleet in the component would
  // put the whole fleet (node:os and all) into the browser bundle, and the page would not start.
  return {
    tokens: fleet.apiTokens.list(),
    scopes: [...API_TOKEN_SCOPES],
    jurisdictions: fleet.regions.jurisdictions,
    now: Date.now(),
    // Each rendering of the create form gets its own token: its post makes one API token (submit-once.server.ts).
    once: newFormToken(),
  };
}

export async function action({ request, context }: Route.ActionArgs) {
  const admin = currentAdmin(context);
  const fleet = context.get(fleetContext);
  const form = await smallForm(request);
  const intent = field(form, 'intent');
  try {
    if (intent === 'revoke') {
      const revoked = fleet.apiTokens.revoke(field(form, 'id'), admin.actor);
      return { intent, ok: `Revoked token ${revoked.id}.`, secret: undefined };
    }
    if (intent === 'create') {
      const scope = API_TOKEN_SCOPES.find((candidate) => candidate === field(form, 'scope'));
      if (!scope) return data({ intent, error: 'Choose a scope.' }, { status: 400 });
      const jurisdiction = field(form, 'jurisdiction');
      if (jurisdiction !== '') fleet.regions.place(jurisdiction);
      const days = Number(field(form, 'days'));
      if (!LIFETIMES.some((lifetime) => lifetime === days)) return data({ intent, error: 'Choose a lifetime.' }, { status: 400 });
      const label = field(form, 'label');
      // Posted again without JavaScript (a double click, a reload that resubmits it), the form
      // makes no second token, whose secret nobody would see: the repeat is answered with the
      // first one's token (the browser showed only the last answer). Kept in this process's
      // memory for the posting session only, for as long as a repeat is remembered.
      const outcome = await submitFormOnce<string, { readonly created: { readonly id: string; readonly token: string } }>(
        admin,
        form,
        ['token-create', scope, jurisdiction, String(days), label],
        async () => {
          try {
            const made = fleet.apiTokens.create({
              scope,
              jurisdiction: jurisdiction === '' ? null : jurisdiction,
              label,
              ...(days > 0 ? { expiresAt: Date.now() + days * DAY_MS } : {}),
              actor: admin.actor,
            });
            return { ok: true, created: { id: made.info.id, token: made.token } };
          } catch (error) {
            return { ok: false, refusal: describeError(error).message };
          }
        },
      );
      if (!outcome.ok) return data({ intent, error: outcome.refusal }, { status: 400 });
      // Shown once, in this answer only: the catalog keeps its hash.
      return { intent, ok: `Created token ${outcome.created.id}.`, secret: outcome.created.token };
    }
    return data({ intent, error: 'Unknown action.' }, { status: 400 });
  } catch (error) {
    return data({ intent, error: describeError(error).message }, { status: 400 });
  }
}

function statusOf(token: ApiToken, now: number): string {
  if (token.revokedAt !== null) return 'revoked';
  if (token.expiresAt !== null && token.expiresAt <= now) return 'expired';
  return 'active';
}

export default function Tokens({ loaderData }: Route.ComponentProps) {
  const { tokens, scopes, jurisdictions, now, once } = loaderData;
  const result = useActionData<typeof action>();
  const navigation = useNavigation();
  const creating = navigation.state === 'submitting' && navigation.formData?.get('intent') === 'create';
  const columns: readonly DataColumn<ApiToken>[] = [
    { header: 'Id', cell: (token) => <code>{token.id}</code> },
    { header: 'Label', cell: (token) => token.label || '—' },
    { header: 'Scope', cell: (token) => token.scope },
    { header: 'Jurisdiction', cell: (token) => token.jurisdiction ?? 'all' },
    { header: 'Created (UTC)', cell: (token) => `${formatDate(token.createdAt)} by ${token.createdBy}` },
    { header: 'Expires', cell: (token) => (token.expiresAt === null ? 'never' : formatDate(token.expiresAt)) },
    { header: 'Last used', cell: (token) => (token.lastUsedAt === null ? 'never' : formatDate(token.lastUsedAt)) },
    {
      header: 'Status',
      cell: (token) => {
        const status = statusOf(token, now);
        return status !== 'active' ? (
          <span className="badge bad">{status}</span>
        ) : (
          <OnceForm method="post" className="row">
            <CsrfField />
            <input type="hidden" name="intent" value="revoke" />
            <input type="hidden" name="id" value={token.id} />
            <span className="badge ok">active</span>
            <SubmitButton className="link" aria-label={`Revoke token ${token.id}`}>
              Revoke
            </SubmitButton>
          </OnceForm>
        );
      },
    },
  ];
  return (
    <>
      <div className="page-head">
        <h1>API tokens</h1>
        <p className="muted">Tokens for the HTTP API (silo serve). Only a hash is stored; a token is shown once, when it is created.</p>
      </div>
      {result && 'error' in result ? (
        <p className="error" role="alert">
          {result.error}
        </p>
      ) : null}
      {result && 'ok' in result ? (
        <div className="card" role="status" data-testid="token-result">
          <p>{result.ok}</p>
          {result.secret ? (
            <>
              <p>Copy it now; it will not be shown again:</p>
              <p>
                <code data-testid="token-secret">{result.secret}</code>
              </p>
            </>
          ) : null}
        </div>
      ) : null}
      <details className="card" open={tokens.length === 0}>
        <summary>Create a token</summary>
        <OnceForm method="post" className="stack" aria-label="Create a token">
          <CsrfField />
          <OnceField token={once} />
          <input type="hidden" name="intent" value="create" />
          <label htmlFor="token-label">
            Label (what it is for)
            <input id="token-label" name="label" maxLength={100} />
          </label>
          <label htmlFor="token-scope">
            Scope
            <select id="token-scope" name="scope" defaultValue="read">
              {scopes.map((scope: ApiTokenScope) => (
                <option key={scope} value={scope}>
                  {scope}
                </option>
              ))}
            </select>
          </label>
          <label htmlFor="token-jurisdiction">
            Jurisdiction
            <select id="token-jurisdiction" name="jurisdiction" defaultValue="">
              <option value="">all</option>
              {jurisdictions.map((jurisdiction) => (
                <option key={jurisdiction} value={jurisdiction}>
                  {jurisdiction} only
                </option>
              ))}
            </select>
          </label>
          <label htmlFor="token-days">
            Expires
            <select id="token-days" name="days" defaultValue="90">
              {LIFETIMES.map((days) => (
                <option key={days} value={days}>
                  {days === 0 ? 'never' : `after ${days} days`}
                </option>
              ))}
            </select>
          </label>
          <SubmitButton className="primary">{creating ? 'Creating…' : 'Create'}</SubmitButton>
        </OnceForm>
      </details>
      {tokens.length === 0 ? <p className="muted">No API tokens yet.</p> : <DataTable label="API tokens" columns={columns} rows={tokens} rowKey={(token) => token.id} />}
    </>
  );
}
