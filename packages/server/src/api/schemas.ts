import { z } from '@hono/zod-openapi';
import { API_TOKEN_SCOPES, NAME_MAX_LENGTH, NAME_MIN_LENGTH, NAME_PATTERN, SORT_KEYS } from '@silo/fleet';

/**
 * An instance name, described in the document by the fleet's rules (3–63 characters: a–z, 0–9,
 * single hyphens; some words reserved). The fleet checks it, not this schema, so a wrong name of
 * any length answers 422 INVALID_NAME with the fleet's own message, not a generic INVALID_INPUT
 * (in a path too: context.ts, visibleInstance).
 */
const instanceName = () => z.string().openapi({ pattern: NAME_PATTERN.source, minLength: NAME_MIN_LENGTH, maxLength: NAME_MAX_LENGTH, example: 'acme' });

/**
 * The zod schemas that validate requests and describe answers; the OpenAPI document is
 * generated from them (app.ts), so the two cannot drift.
 */

/** A page's offset; stated as an integer, which the generator would otherwise widen to allow null (a coerced `min(0)`). */
const pageOffset = () => z.coerce.number().int().min(0).optional().openapi({ type: 'integer', minimum: 0 });

const STATES = ['provisioning', 'ready', 'failed', 'deleted', 'moving'] as const;

export const ErrorSchema = z
  .object({
    error: z.object({
      code: z.string().openapi({ description: "The fleet's stable error code (see docs/api.md), or one of the API's own." }),
      message: z.string(),
      details: z.record(z.string(), z.unknown()).optional(),
    }),
  })
  .openapi('Error');

export const InstanceSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    displayName: z.string(),
    state: z.enum(STATES),
    jurisdiction: z.string(),
    region: z.string(),
    engine: z.string(),
    schemaVersion: z.number().int(),
    sizeBytes: z.number(),
    clonedFrom: z.object({ id: z.string(), name: z.string().nullable() }).nullable(),
    createdAt: z.number().int(),
    updatedAt: z.number().int(),
    lastActiveAt: z.number().int().nullable(),
    deletedAt: z.number().int().nullable(),
    error: z.string().nullable(),
    metrics: z.record(z.string(), z.number()),
  })
  .openapi('Instance');

export const InstanceDetailsSchema = InstanceSchema.extend({
  clones: z.array(z.object({ name: z.string(), state: z.enum(STATES) })),
}).openapi('InstanceDetails');

export const InstancePageSchema = z.object({ items: z.array(InstanceSchema), total: z.number().int() }).openapi('InstancePage');

export const NameParam = z.object({
  name: instanceName().openapi({ param: { name: 'name', in: 'path' } }),
});

/**
 * The list's sort keys: the fleet's own, and `metric:<key>` of each of the app's metrics. Its
 * metrics are the fleet's, so the document (the same for every fleet) says only the pattern and
 * the check names them; a key the fleet has no values for would sort nothing and say nothing.
 */
function sortParam(metricKeys: () => readonly string[]) {
  const allowed = (): string[] => [...SORT_KEYS, ...metricKeys().map((key) => `metric:${key}`)];
  return z
    .string()
    .refine((value) => allowed().includes(value), { error: () => `one of ${allowed().join(', ')}` })
    .optional()
    .openapi({ description: `One of ${SORT_KEYS.join(', ')}, or metric:<key> for a metric the app defines (its tenant schema's metricsSql); another is 422 INVALID_INPUT.` });
}

/** The list's query; `metricKeys` are the app's metrics, read when a sort is checked. */
export function listQuerySchema(metricKeys: () => readonly string[]) {
  return z.object({
    state: z.enum(STATES).optional(),
    jurisdiction: z.string().optional(),
    region: z.string().optional(),
    search: z.string().max(200).optional(),
    sort: sortParam(metricKeys),
    order: z.enum(['asc', 'desc']).optional(),
    limit: z.coerce.number().int().min(1).max(1_000).optional(),
    offset: pageOffset(),
  });
}

export const CreateBodySchema = z
  .object({
    name: instanceName(),
    jurisdiction: z.string().min(1),
    region: z.string().min(1).optional(),
    displayName: z.string().max(500).optional(),
  })
  .openapi('CreateInstance');

export const CloneBodySchema = z
  .object({
    name: instanceName().optional(),
    region: z.string().min(1).optional(),
    displayName: z.string().max(500).optional(),
    at: z.iso.datetime({ offset: true }).optional().openapi({ description: 'Branch the source as it was then (engines with history only).' }),
  })
  .openapi('CloneInstance');

export const PurgeResultSchema = z.object({ purged: z.boolean() }).openapi('PurgeResult');

export const ImportQuerySchema = z.object({
  jurisdiction: z.string().min(1),
  region: z.string().min(1).optional(),
  displayName: z.string().max(500).optional(),
});

export const ExportQuerySchema = z.object({});

const SqlValueSchema = z.union([z.string(), z.number(), z.null()]);
const ArgsSchema = z.union([z.array(SqlValueSchema), z.record(z.string(), SqlValueSchema)]).openapi({
  description: 'The statement\'s parameters: an array binds by index (`?`, or `?1`, `?2`…, as in SQLite and libSQL), an object by name (`:name`, `@name`, `$name`; the key with or without its prefix).',
});

export const QueryBodySchema = z
  .object({
    sql: z.string().min(1).max(100_000),
    args: ArgsSchema.optional(),
    readOnly: z.boolean().optional().openapi({ description: 'Default true; false needs the write scope and is audited.' }),
  })
  .openapi('Query');

export const QueryResultSchema = z
  .object({
    columns: z.array(z.string()),
    rows: z.array(z.array(z.unknown())).openapi({ description: 'One array per row; integers past 2^53 as strings, blobs as { "base64": "…" }.' }),
    truncated: z.boolean(),
    rowsAffected: z.number(),
    durationMs: z.number(),
  })
  .openapi('QueryResult');

export const QueryAllBodySchema = z
  .object({
    sql: z.string().min(1).max(100_000),
    args: ArgsSchema.optional(),
    filter: z.object({ jurisdiction: z.string().optional(), region: z.string().optional(), search: z.string().max(200).optional() }).optional(),
    concurrency: z.number().int().min(1).max(64).optional(),
  })
  .openapi('QueryAll');

/**
 * The last line of an NDJSON answer whose work failed after the answer began (ndjson.ts): the
 * status line has long been sent, so the failure is a line.
 */
export const StreamErrorLineSchema = z
  .object({ status: z.literal('error'), code: z.string(), error: z.string() })
  .openapi('StreamErrorLine', { description: 'The work failed after the answer began; nothing follows.' });

/** One line of `POST /v1/query-all`: an instance's result or error, or the run's failure. */
export const QueryAllLineSchema = z
  .union([
    QueryResultSchema.extend({ instance: z.string(), status: z.literal('ok') }),
    z.object({ instance: z.string(), status: z.literal('error'), code: z.string(), error: z.string(), durationMs: z.number() }),
    StreamErrorLineSchema,
  ])
  .openapi('QueryAllLine');

const InstanceMigrationSchema = z
  .object({
    instance: z.string(),
    status: z.enum(['migrated', 'would-migrate', 'up-to-date', 'failed']),
    from: z.number().int().nullable(),
    to: z.number().int().nullable(),
    error: z.string().optional(),
    durationMs: z.number(),
  })
  .openapi('InstanceMigration');

/** One line of `POST /v1/migrations/run`: progress after each instance, then the report, or the run's failure. */
export const MigrateLineSchema = z
  .union([
    z.object({ type: z.literal('progress'), total: z.number().int(), done: z.number().int(), succeeded: z.number().int(), failed: z.number().int(), last: InstanceMigrationSchema }),
    z.object({
      type: z.literal('report'),
      targetVersion: z.number().int(),
      results: z.array(InstanceMigrationSchema),
      migrated: z.number().int(),
      upToDate: z.number().int(),
      failed: z.number().int(),
      durationMs: z.number(),
      interrupted: z.boolean().openapi({ description: 'Stopped before every instance was tried (the server shutting down): run it again to finish.' }),
    }),
    StreamErrorLineSchema,
  ])
  .openapi('MigrateLine');

export const MigrationStatusSchema = z
  .object({
    latestVersion: z.number().int(),
    behind: z.number().int(),
    byVersion: z.array(z.object({ version: z.number().int(), count: z.number().int() })),
    pending: z.array(z.object({ version: z.number().int(), name: z.string(), instances: z.number().int() })),
  })
  .openapi('MigrationStatus');

export const MigrateBodySchema = z
  .object({
    dryRun: z.boolean().optional(),
    concurrency: z.number().int().min(1).max(64).optional(),
    filter: z.object({ jurisdiction: z.string().optional(), region: z.string().optional() }).optional(),
  })
  .openapi('MigrateRun');

export const BackupPointSchema = z
  .object({
    id: z.string(),
    takenAt: z.number(),
    reason: z.string(),
    sizeBytes: z.number().optional(),
    storedBytes: z.number().optional(),
    schemaVersion: z.number().optional(),
  })
  .openapi('BackupPoint');

export const BackupListQuerySchema = z.object({ limit: z.coerce.number().int().min(1).max(1_000).optional() });

export const RestoreBodySchema = z
  .object({
    at: z.union([z.iso.datetime({ offset: true }), z.number().int()]).openapi({ description: 'The newest point taken at or before this moment is used.' }),
    as: instanceName().optional().openapi({ description: 'Restore as a new instance of this name.' }),
    inPlace: z.boolean().optional(),
    region: z.string().optional(),
  })
  .openapi('Restore');

export const RestoreResultSchema = z
  .object({ mode: z.enum(['new-instance', 'in-place']), instance: InstanceSchema, point: BackupPointSchema, undoPoint: BackupPointSchema.optional() })
  .openapi('RestoreResult');

export const AuditQuerySchema = z.object({
  instance: z.string().optional(),
  operation: z
    .string()
    .optional()
    .openapi({
      description:
        'An operation the fleet records (create, clone, import, delete, undelete, purge, export, "query (write)", migrate-all, backup, backup-restore, "token create", …) or the log holds, as recorded. Another is 422 INVALID_INPUT naming them.',
    }),
  actor: z.string().optional(),
  outcome: z.enum(['ok', 'error']).optional(),
  limit: z.coerce.number().int().min(1).max(1_000).optional(),
  offset: pageOffset(),
});

export const AuditPageSchema = z
  .object({
    items: z.array(
      z.object({
        id: z.number().int(),
        at: z.number(),
        actor: z.string(),
        operation: z.string(),
        instance: z.string().nullable(),
        outcome: z.enum(['ok', 'error']),
        error: z.string().nullable(),
        detail: z.record(z.string(), z.unknown()).nullable(),
      }),
    ),
    total: z.number().int(),
  })
  .openapi('AuditPage');

export const TokenSchema = z
  .object({
    id: z.string(),
    label: z.string(),
    scope: z.enum(API_TOKEN_SCOPES),
    jurisdiction: z.string().nullable(),
    createdAt: z.number(),
    expiresAt: z.number().nullable(),
    lastUsedAt: z.number().nullable(),
  })
  .openapi('Token');
