import Ajv2020, { type ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { afterAll, describe, expect, it } from 'vitest';
import { createServer, FLEET_ERROR_STATUS, JSON_BODY_MAX_BYTES, OPENAPI_PATH } from '../src/index';
import { API_ERROR_STATUS } from '../src/api/errors';
import { startApi, type TokenKind } from './api-harness';

/**
 * The served OpenAPI document held against the real server the way a schema-driven checker
 * (schemathesis) holds them: every operation the document lists is called on its success path
 * and on the failures a client can cause, and every answer must have a status the operation
 * declares, a content type declared for that status, and a body valid against its schema. The
 * walk comes from the document, so an operation added without cases here fails.
 */

interface MediaType {
  schema?: object;
  /** Each line's schema in an NDJSON answer (OpenAPI 3.2's `itemSchema`, see openapi-parts.ts). */
  'x-item-schema'?: object;
}
interface OperationObject {
  responses: Record<string, { content?: Record<string, MediaType> }>;
  requestBody?: { content: Record<string, MediaType> };
}
interface OpenApiDocument {
  paths: Record<string, Record<string, OperationObject>>;
  components: { schemas: Record<string, object> };
}
interface Operation {
  key: string;
  method: string;
  route: string;
  spec: OperationObject;
}

type Body = NonNullable<RequestInit['body']>;
/** One request: the token (none: no Authorization header), `{name}`, the query, a body as JSON or as-is. */
interface Call {
  token?: TokenKind;
  name?: string;
  query?: string;
  json?: unknown;
  raw?: { body: Body; type?: string };
  headers?: Record<string, string>;
}
/** A call and what it must answer: a status and, for an error, its code. */
interface Case {
  label: string;
  call: Call;
  status: number;
  code?: string;
}
interface Exercise {
  /** The least scope the operation needs: a token one below is 403 FORBIDDEN. */
  scope: 'read' | 'write' | 'admin';
  /** `{name}` is the instance to make (import), not one that must exist (404 when unknown). */
  makesName?: true;
  /** A request that succeeds. Made afresh, since most change the fleet. */
  ok(): Promise<Call>;
  /** The operation's own cases, beyond those every operation gets from the document. */
  cases?(): Promise<Case[]>;
}

// Small enough that an upload over the import limit is cheap to send.
const IMPORT_MAX_BYTES = 256 * 1024;
// The document names the operations, so the server runs while the tests are collected. Every
// operation is called without a token, so failed authentications are not throttled here.
const rateLimits = { perTokenPerMinute: 100_000, failedAuthPerMinute: 100_000 };
const api = await startApi({ rateLimits, fleet: { importMaxBytes: IMPORT_MAX_BYTES } });
afterAll(() => api.close());
const { fleet } = api;
const document = (await (await fetch(`${api.server.url}${OPENAPI_PATH}`)).json()) as OpenApiDocument;

const HTTP_METHODS = new Set(['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace']);
const operations: Operation[] = Object.entries(document.paths).flatMap(([route, item]) =>
  Object.entries(item)
    .filter(([method]) => HTTP_METHODS.has(method))
    .map(([method, spec]) => ({ key: `${method.toUpperCase()} ${route}`, method: method.toUpperCase(), route, spec })),
);

// OpenAPI 3.1 schemas are JSON Schema 2020-12 plus a few keywords of OpenAPI's own. Their refs
// (#/components/schemas/X) are pointed at the components, added once as a schema of their own.
const ajv = new Ajv2020({ allErrors: true, strict: true });
addFormats(ajv);
ajv.addVocabulary(['example', 'discriminator', 'xml', 'externalDocs']);
const atComponents = (schema: object): object => JSON.parse(JSON.stringify(schema).replaceAll('"#/components/schemas/', '"components#/$defs/')) as object;
ajv.addSchema({ $id: 'components', $defs: atComponents(document.components.schemas) });
const validators = new Map<object, ValidateFunction>();
const ERROR_SCHEMA = { $ref: '#/components/schemas/Error' };

function expectValid(schema: object, value: unknown, where: string): void {
  let validate = validators.get(schema);
  if (!validate) validators.set(schema, (validate = ajv.compile(atComponents(schema))));
  if (!validate(value)) expect.fail(`${where}: ${ajv.errorsText(validate.errors)} in ${JSON.stringify(value).slice(0, 400)}`);
}

function request(method: string, route: string, call: Call, base = api.server.url): Promise<Response> {
  const body = call.json === undefined ? call.raw?.body : JSON.stringify(call.json);
  const type = call.json === undefined ? call.raw?.type : 'application/json';
  const headers = { ...(call.token ? { authorization: `Bearer ${api.tokens[call.token]}` } : {}), ...(type ? { 'content-type': type } : {}), ...call.headers };
  const url = `${base}${route.replace('{name}', encodeURIComponent(call.name ?? ''))}${call.query ?? ''}`;
  // duplex: a ReadableStream body goes out chunked, without a Content-Length.
  return fetch(url, { method, headers, ...(body === undefined ? {} : { body, duplex: 'half' }) });
}

/** The answer's body, once its status, content type and body are what the document declares. */
async function conforming(operation: Operation, response: Response): Promise<unknown> {
  const where = `${operation.key} answered ${response.status}`;
  const declared = operation.spec.responses[String(response.status)] ?? operation.spec.responses['default'];
  if (!declared) return expect.fail(`${where}, a status it does not declare (${Object.keys(operation.spec.responses).join(', ')})`);
  const content = declared.content ?? {};
  if (Object.keys(content).length === 0) return expect(await response.text(), `${where} with a body it does not declare`).toBe('');
  const [mediaType = ''] = (response.headers.get('content-type') ?? '').split(';');
  const type = mediaType.trim().toLowerCase();
  const media = content[type];
  if (!media) return expect.fail(`${where} as "${type}", not as declared (${Object.keys(content).join(', ')})`);
  if (type === 'application/json') {
    const body: unknown = await response.json();
    if (media.schema) expectValid(media.schema, body, where);
    return body;
  }
  if (type === 'application/x-ndjson') {
    const lines = (await response.text()).split('\n').filter(Boolean).map((line) => JSON.parse(line) as unknown);
    const line = media['x-item-schema'];
    if (!line) return expect.fail(`${where}: NDJSON without a line schema (x-item-schema)`);
    for (const value of lines) expectValid(line, value, `${where}, a line`);
    return lines;
  }
  return new Uint8Array(await response.arrayBuffer());
}

async function expectAnswer(operation: Operation, { label, call, status, code }: Case, base?: string): Promise<void> {
  const response = await request(operation.method, operation.route, call, base);
  const body = await conforming(operation, response);
  const answered = (body as { error?: { code?: string } } | undefined)?.error?.code;
  expect({ status: response.status, code: answered }, `${operation.key}: ${label}`).toEqual({ status, code });
}

const at = (label: string, call: Call, status: number, code?: string): Case => ({ label, call, status, ...(code ? { code } : {}) });

let made = 0;
const fresh = (): string => `conf-${++made}`;
/** A new instance made through the fleet (fast, and not what is under test). */
async function instance(options: { jurisdiction?: string; backedUp?: boolean; deleted?: boolean } = {}): Promise<string> {
  const name = fresh();
  await fleet.create(name, { jurisdiction: options.jurisdiction ?? 'eu' });
  if (options.backedUp) await fleet.backups.now(name);
  if (options.deleted) await fleet.delete(name);
  return name;
}
let snapshotBytes: Uint8Array | undefined;
/** A SQLite file to upload: an instance's export. */
async function snapshot(): Promise<Uint8Array> {
  snapshotBytes ??= new Uint8Array(await (await request('GET', '/v1/instances/{name}/export', { token: 'read', name: await instance() })).arrayBuffer());
  return snapshotBytes;
}

/** The cases every operation gets from its place in the document: auth, scope, `{name}`, a JSON body. */
function documentCases(operation: Operation, exercise: Exercise, template: Call): Case[] {
  const cases = [at('no token', { ...template, token: undefined }, 401, 'UNAUTHORIZED')];
  const below = ({ read: undefined, write: 'read', admin: 'write' } as const)[exercise.scope];
  if (below) cases.push(at(`a ${below} token`, { ...template, token: below }, 403, 'FORBIDDEN'));
  if (operation.route.includes('{name}')) {
    // A name outside the document's pattern is the fleet's INVALID_NAME, whatever its length or route.
    cases.push(at('a name past 63 characters', { ...template, name: 'a'.repeat(201) }, 422, 'INVALID_NAME'));
    cases.push(at('a name the pattern refuses', { ...template, name: 'Not_A_Name' }, 422, 'INVALID_NAME'));
    if (!exercise.makesName) cases.push(at('an unknown instance', { ...template, name: 'nobody-here' }, 404, 'INSTANCE_NOT_FOUND'));
  }
  if (operation.spec.requestBody?.content['application/json']) {
    const text = (body: string, type: string): Call => ({ ...template, json: undefined, raw: { body, type } });
    cases.push(
      at('a body of the wrong shape', { ...template, json: [] }, 422, 'INVALID_INPUT'),
      at('a body that is not JSON', text('{"sql": ', 'application/json'), 400, 'MALFORMED_JSON'),
      at('a JSON body sent as text/plain', text(JSON.stringify(template.json ?? {}), 'text/plain'), 415, 'UNSUPPORTED_MEDIA_TYPE'),
      at('a body over the JSON limit', { ...template, json: { padding: 'x'.repeat(JSON_BODY_MAX_BYTES) } }, 413, 'PAYLOAD_TOO_LARGE'),
    );
  }
  return cases;
}

/** Each operation's success and its own failures, keyed as `METHOD /path` in the document. */
const exercises: Record<string, Exercise> = {
  'GET /v1/instances': {
    scope: 'read',
    ok: async () => ({ token: 'read', query: '?jurisdiction=eu&state=ready&search=c&sort=name&order=desc&limit=5&offset=0' }),
    cases: async () => [
      at('limit 0', { token: 'read', query: '?limit=0' }, 422, 'INVALID_INPUT'),
      at('an unknown sort key', { token: 'read', query: '?sort=bogus' }, 422, 'INVALID_INPUT'),
      at('a metric the app does not define', { token: 'read', query: '?sort=metric:nosuch' }, 422, 'INVALID_INPUT'),
      at('a metric the app defines', { token: 'read', query: '?sort=metric:notes' }, 200),
      at('an unknown jurisdiction', { token: 'read', query: '?jurisdiction=mars' }, 422, 'UNKNOWN_JURISDICTION'),
      at('an unknown region', { token: 'read', query: '?region=mars-1' }, 422, 'UNKNOWN_REGION'),
      at('an eu token asking for us', { token: 'eu', query: '?jurisdiction=us' }, 403, 'JURISDICTION_VIOLATION'),
    ],
  },
  'POST /v1/instances': {
    scope: 'write',
    ok: async () => ({ token: 'write', json: { name: fresh(), jurisdiction: 'eu', region: 'eu-central', displayName: 'Conformance' } }),
    cases: async () => {
      const keyed = { token: 'write', json: { name: fresh(), jurisdiction: 'eu' }, headers: { 'idempotency-key': fresh() } } as const;
      return [
        at('a name in use', { token: 'write', json: { name: await instance(), jurisdiction: 'eu' } }, 409, 'NAME_TAKEN'),
        at('an invalid name', { token: 'write', json: { name: 'Bad Name!', jurisdiction: 'eu' } }, 422, 'INVALID_NAME'),
        at('an unknown jurisdiction', { token: 'write', json: { name: fresh(), jurisdiction: 'mars' } }, 422, 'UNKNOWN_JURISDICTION'),
        at('an unknown region', { token: 'write', json: { name: fresh(), jurisdiction: 'eu', region: 'mars' } }, 422, 'UNKNOWN_REGION'),
        at('an eu token creating in us', { token: 'eu', json: { name: fresh(), jurisdiction: 'us' } }, 403, 'JURISDICTION_VIOLATION'),
        at('an Idempotency-Key', keyed, 201),
        at('the same key and body again (a replay)', keyed, 201),
        at('the same key for another body', { ...keyed, json: { name: fresh(), jurisdiction: 'eu' } }, 422, 'IDEMPOTENCY_KEY_REUSED'),
        at('a key with a space in it', { ...keyed, headers: { 'idempotency-key': 'a b' } }, 422, 'INVALID_INPUT'),
      ];
    },
  },
  'GET /v1/instances/{name}': {
    scope: 'read',
    ok: async () => ({ token: 'read', name: await instance() }),
    cases: async () => [
      at('a deleted instance', { token: 'read', name: await instance({ deleted: true }) }, 200),
      at('an eu token, a us instance', { token: 'eu', name: await instance({ jurisdiction: 'us' }) }, 404, 'INSTANCE_NOT_FOUND'),
    ],
  },
  'DELETE /v1/instances/{name}': {
    scope: 'write',
    ok: async () => ({ token: 'write', name: await instance() }),
    cases: async () => [at('an instance deleted already', { token: 'write', name: await instance({ deleted: true }) }, 200)],
  },
  'POST /v1/instances/{name}/clone': {
    scope: 'write',
    ok: async () => ({ token: 'write', name: await instance(), json: { name: fresh(), displayName: 'Copy' } }),
    cases: async () => {
      const source = await instance();
      const keyed = { token: 'write', name: source, json: {}, headers: { 'idempotency-key': fresh() } } as const;
      return [
        at('no body (a name is chosen)', { token: 'write', name: source }, 201),
        at('an empty JSON body, the same as none', { token: 'write', name: source, raw: { body: '', type: 'application/json' } }, 201),
        at('a clone name in use', { token: 'write', name: source, json: { name: await instance() } }, 409, 'NAME_TAKEN'),
        at('a region of another jurisdiction', { token: 'write', name: source, json: { region: 'us-east' } }, 403, 'JURISDICTION_VIOLATION'),
        at('`at` that is no time', { token: 'write', name: source, json: { at: 'yesterday' } }, 422, 'INVALID_INPUT'),
        at('`at` on an engine without history', { token: 'write', name: source, json: { at: new Date().toISOString() } }, 422, 'INVALID_INPUT'),
        at('an Idempotency-Key', keyed, 201),
        at('the same key and body again (a replay)', keyed, 201),
      ];
    },
  },
  'POST /v1/instances/{name}/undelete': {
    scope: 'write',
    ok: async () => ({ token: 'write', name: await instance({ deleted: true }) }),
    cases: async () => [at('an instance that is not deleted', { token: 'write', name: await instance() }, 200)],
  },
  'POST /v1/instances/{name}/purge': {
    scope: 'admin',
    ok: async () => ({ token: 'admin', name: await instance({ deleted: true }) }),
    cases: async () => [at('a ready instance', { token: 'admin', name: await instance() }, 409, 'INVALID_STATE')],
  },
  'GET /v1/instances/{name}/export': {
    scope: 'read',
    ok: async () => ({ token: 'read', name: await instance() }),
  },
  'POST /v1/instances/{name}/import': {
    scope: 'write',
    makesName: true,
    ok: async () => ({ token: 'write', name: fresh(), query: '?jurisdiction=eu&region=eu-west&displayName=Imported', raw: { body: await snapshot(), type: 'application/octet-stream' } }),
    cases: async () => {
      const upload = (body: Body, query = '?jurisdiction=eu', token: TokenKind = 'write', name = fresh()): Call => ({ token, name, query, raw: { body, type: 'application/octet-stream' } });
      const tooBig = new Uint8Array(IMPORT_MAX_BYTES + 1);
      return [
        at('a file that is no database', upload('not a database at all'), 422, 'IMPORT_REJECTED'),
        at('an empty file', upload(''), 422, 'IMPORT_REJECTED'),
        at('a name in use', upload(await snapshot(), undefined, undefined, await instance()), 409, 'NAME_TAKEN'),
        at('an invalid name', upload(await snapshot(), undefined, undefined, 'Bad Name!'), 422, 'INVALID_NAME'),
        at('no jurisdiction', upload(await snapshot(), ''), 422, 'INVALID_INPUT'),
        at('an unknown jurisdiction', upload(await snapshot(), '?jurisdiction=mars'), 422, 'UNKNOWN_JURISDICTION'),
        at('an eu token importing into us', upload(await snapshot(), '?jurisdiction=us', 'eu'), 403, 'JURISDICTION_VIOLATION'),
        at('a file over the import limit', upload(tooBig), 413, 'PAYLOAD_TOO_LARGE'),
        at('a file over the limit, streamed without a length', upload(new Blob([tooBig]).stream()), 413, 'PAYLOAD_TOO_LARGE'),
        at('a file sent as JSON', { ...upload(await snapshot()), raw: { body: await snapshot(), type: 'application/json' } }, 415, 'UNSUPPORTED_MEDIA_TYPE'),
      ];
    },
  },
  'POST /v1/instances/{name}/query': {
    scope: 'read',
    ok: async () => ({ token: 'read', name: await instance(), json: { sql: "SELECT 1 AS one, ? AS two, x'00ff' AS blob, 9007199254740993 AS big", args: ['x'] } }),
    cases: async () => {
      const name = await instance();
      return [
        at('a write with readOnly false', { token: 'write', name, json: { sql: 'INSERT INTO notes (body) VALUES (:body)', args: { body: 'hi' }, readOnly: false } }, 200),
        at('a write left read-only', { token: 'write', name, json: { sql: "INSERT INTO notes (body) VALUES ('no')" } }, 422, 'QUERY_READ_ONLY'),
        at('readOnly false with a read token', { token: 'read', name, json: { sql: 'DELETE FROM notes', readOnly: false } }, 403, 'FORBIDDEN'),
        at('SQL that fails', { token: 'read', name, json: { sql: 'SELECT nope FROM nowhere' } }, 422, 'QUERY_FAILED'),
        at('an eu token, a us instance', { token: 'eu', name: await instance({ jurisdiction: 'us' }), json: { sql: 'SELECT 1' } }, 404, 'INSTANCE_NOT_FOUND'),
      ];
    },
  },
  'POST /v1/query-all': {
    scope: 'read',
    ok: async () => ({ token: 'read', json: { sql: 'SELECT count(*) AS notes FROM notes WHERE tag = ?', args: ['x'], filter: { jurisdiction: 'eu' }, concurrency: 2 } }),
    cases: async () => [
      at('SQL that fails on every instance (error lines)', { token: 'read', json: { sql: 'SELECT nope FROM nowhere' } }, 200),
      at('an eu token asking for us', { token: 'eu', json: { sql: 'SELECT 1', filter: { jurisdiction: 'us' } } }, 403, 'JURISDICTION_VIOLATION'),
    ],
  },
  'GET /v1/migrations': {
    scope: 'read',
    ok: async () => ({ token: 'read' }),
  },
  'POST /v1/migrations/run': {
    scope: 'admin',
    ok: async () => ({ token: 'admin', json: { dryRun: true, concurrency: 2, filter: { jurisdiction: 'eu' } } }),
    cases: async () => [
      at('no body', { token: 'admin' }, 200),
      at('an empty JSON body, the same as none', { token: 'admin', raw: { body: '', type: 'application/json' } }, 200),
      at('an eu admin token asking for us', { token: 'euAdmin', json: { filter: { jurisdiction: 'us' } } }, 403, 'JURISDICTION_VIOLATION'),
    ],
  },
  'GET /v1/instances/{name}/backups': {
    scope: 'read',
    ok: async () => ({ token: 'read', name: await instance({ backedUp: true }), query: '?limit=5' }),
    cases: async () => [at('limit 0', { token: 'read', name: await instance(), query: '?limit=0' }, 422, 'INVALID_INPUT')],
  },
  'POST /v1/instances/{name}/backups': {
    scope: 'write',
    ok: async () => ({ token: 'write', name: await instance() }),
    cases: async () => [at('a deleted instance', { token: 'write', name: await instance({ deleted: true }) }, 409, 'INVALID_STATE')],
  },
  'POST /v1/instances/{name}/restore': {
    scope: 'write',
    ok: async () => ({ token: 'write', name: await instance({ backedUp: true }), json: { at: Date.now(), as: fresh() } }),
    cases: async () => {
      const name = await instance({ backedUp: true });
      return [
        at('in place, at an ISO time (with an undo point)', { token: 'write', name, json: { at: new Date().toISOString(), inPlace: true } }, 200),
        at('a time before every point', { token: 'write', name, json: { at: 1, as: fresh() } }, 404, 'BACKUP_NOT_FOUND'),
        at('as a name in use', { token: 'write', name, json: { at: Date.now(), as: await instance() } }, 409, 'NAME_TAKEN'),
        at('`at` that is no time', { token: 'write', name, json: { at: 'yesterday' } }, 422, 'INVALID_INPUT'),
      ];
    },
  },
  'GET /v1/audit': {
    scope: 'admin',
    ok: async () => ({ token: 'admin', query: '?operation=create&outcome=ok&limit=5&offset=0' }),
    cases: async () => [
      at("an eu admin token, one instance's entries", { token: 'euAdmin', query: `?instance=${await instance()}` }, 200),
      at('an eu admin token, the whole log', { token: 'euAdmin' }, 403, 'JURISDICTION_VIOLATION'),
      // An unscoped token reads any name's entries, a purged instance's included; a scoped one only its instances'.
      at('a name no instance holds, unscoped', { token: 'admin', query: '?instance=nobody-here' }, 200),
      at('a name no instance holds, an eu admin token', { token: 'euAdmin', query: '?instance=nobody-here' }, 404, 'INSTANCE_NOT_FOUND'),
      at('an unknown outcome', { token: 'admin', query: '?outcome=maybe' }, 422, 'INVALID_INPUT'),
      at('an operation no entry can have', { token: 'admin', query: '?operation=migrate%20all' }, 422, 'INVALID_INPUT'),
    ],
  },
};

describe('every operation in the OpenAPI document', () => {
  it('has its cases here, and every case here its operation', () => {
    expect(Object.keys(exercises).sort()).toEqual(operations.map((operation) => operation.key).sort());
  });

  for (const operation of operations) {
    it(`${operation.key} answers as the document declares`, async () => {
      const exercise = exercises[operation.key];
      if (!exercise) return expect.fail(`${operation.key} has no cases: add them to \`exercises\``);
      const success = Number(Object.keys(operation.spec.responses).find((status) => status.startsWith('2')));
      await expectAnswer(operation, at('success', await exercise.ok(), success));
      for (const testCase of documentCases(operation, exercise, await exercise.ok())) await expectAnswer(operation, testCase);
      for (const testCase of (await exercise.cases?.()) ?? []) await expectAnswer(operation, testCase);
    });
  }
});

describe('answers outside one operation', () => {
  it('declares, for every operation, each error status the API answers with', () => {
    // 405 answers a method with no operation, so no operation can declare it; 499 answers a
    // client that is gone (QUERY_ABORTED), so no client ever reads it.
    const statuses = new Set([...Object.values(FLEET_ERROR_STATUS), ...Object.values(API_ERROR_STATUS)].filter((status) => status !== 405 && status !== 499));
    for (const operation of operations) expect(Object.keys(operation.spec.responses), operation.key).toEqual(expect.arrayContaining([...statuses].map(String)));
  });

  it('answers a method a documented path has no operation for with 405, Allow and a JSON error', async () => {
    for (const [route, item] of Object.entries(document.paths)) {
      const documented = Object.keys(item).map((method) => method.toUpperCase());
      const allowed = new Set([...documented, ...(documented.includes('GET') ? ['HEAD'] : [])]);
      for (const method of ['GET', 'PUT', 'POST', 'DELETE', 'PATCH', 'OPTIONS'].filter((candidate) => !allowed.has(candidate))) {
        const response = await request(method, route, { token: 'admin', name: 'nobody-here' });
        expect(response.status, `${method} ${route}`).toBe(405);
        expect(new Set(response.headers.get('allow')?.split(/,\s*/)), `${method} ${route}: Allow`).toEqual(allowed);
        expectValid(ERROR_SCHEMA, await response.json(), `${method} ${route}`);
      }
    }
  });

  it('answers a token over its rate with a declared 429', async () => {
    const limited = await createServer({ fleet, port: 0, shutdownTimeoutMs: 0, rateLimits: { perTokenPerMinute: 1 } });
    try {
      const operation = operations.find((candidate) => candidate.key === 'GET /v1/migrations');
      if (!operation) return expect.fail('the document has no GET /v1/migrations');
      await expectAnswer(operation, at('the first call', { token: 'read' }, 200), limited.url);
      await expectAnswer(operation, at('the second call in a minute', { token: 'read' }, 429, 'RATE_LIMITED'), limited.url);
    } finally {
      await limited.close();
    }
  });
});
