import { z } from 'zod';

/**
 * The JSON encoding of Hrana requests (HRANA_3_SPEC.md "Shared structures" and
 * "Hrana over HTTP"; HTTP_V2_SPEC.md for /v2). Validated with zod so a malformed body is a
 * clear 400 instead of a crash halfway through a pipeline.
 */
/** SQL text ids are int32 (HRANA_3_SPEC.md "Store an SQL text"). */
const SqlIdSchema = z.number().int().min(-(2 ** 31)).max(2 ** 31 - 1);

const I64_MIN = -(2n ** 63n);
const I64_MAX = 2n ** 63n - 1n;

/**
 * Values as sqld reads them (libsql-hrana/src/proto.rs): an integer is a decimal i64 in a
 * string (one out of range is not), a blob is standard base64 with or without padding. Anything
 * else fails the request as a protocol error.
 */
export const ValueSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('null') }),
  z.object({
    type: z.literal('integer'),
    value: z
      .string()
      .regex(/^[+-]?\d+$/)
      .refine((text) => BigInt(text) >= I64_MIN && BigInt(text) <= I64_MAX, 'decimal integer as a string, within 64 bits'),
  }),
  z.object({ type: z.literal('float'), value: z.number() }),
  z.object({ type: z.literal('text'), value: z.string() }),
  z.object({
    type: z.literal('blob'),
    base64: z.string().refine((text) => {
      const bare = text.replace(/=+$/, '');
      return /^[A-Za-z0-9+/]*$/.test(bare) && bare.length % 4 !== 1;
    }, 'binary data encoded as base64'),
  }),
]);
export type ProtoValue = z.infer<typeof ValueSchema>;

export const StmtSchema = z.object({
  sql: z.string().nullish(),
  sql_id: SqlIdSchema.nullish(),
  args: z.array(ValueSchema).optional(),
  named_args: z.array(z.object({ name: z.string(), value: ValueSchema })).optional(),
  want_rows: z.boolean().optional(),
});
export type ProtoStmt = z.infer<typeof StmtSchema>;

export type BatchCond =
  | { type: 'ok'; step: number }
  | { type: 'error'; step: number }
  | { type: 'not'; cond: BatchCond }
  | { type: 'and'; conds: BatchCond[] }
  | { type: 'or'; conds: BatchCond[] }
  | { type: 'is_autocommit' };

export const BatchCondSchema: z.ZodType<BatchCond> = z.lazy(() =>
  z.discriminatedUnion('type', [
    z.object({ type: z.literal('ok'), step: z.number().int().nonnegative() }),
    z.object({ type: z.literal('error'), step: z.number().int().nonnegative() }),
    z.object({ type: z.literal('not'), cond: BatchCondSchema }),
    z.object({ type: z.literal('and'), conds: z.array(BatchCondSchema) }),
    z.object({ type: z.literal('or'), conds: z.array(BatchCondSchema) }),
    z.object({ type: z.literal('is_autocommit') }),
  ]),
);

export const BatchSchema = z.object({
  steps: z.array(z.object({ condition: BatchCondSchema.nullish(), stmt: StmtSchema })),
});
export type ProtoBatch = z.infer<typeof BatchSchema>;

const SqlRefSchema = { sql: z.string().nullish(), sql_id: SqlIdSchema.nullish() };

export const StreamRequestSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('close') }),
  z.object({ type: z.literal('execute'), stmt: StmtSchema }),
  z.object({ type: z.literal('batch'), batch: BatchSchema }),
  z.object({ type: z.literal('sequence'), ...SqlRefSchema }),
  z.object({ type: z.literal('describe'), ...SqlRefSchema }),
  z.object({ type: z.literal('store_sql'), sql_id: SqlIdSchema, sql: z.string() }),
  z.object({ type: z.literal('close_sql'), sql_id: SqlIdSchema }),
  z.object({ type: z.literal('get_autocommit') }),
]);
export type StreamRequest = z.infer<typeof StreamRequestSchema>;

export const PipelineReqBodySchema = z.object({
  baton: z.string().nullish(),
  requests: z.array(StreamRequestSchema),
});

export const CursorReqBodySchema = z.object({
  baton: z.string().nullish(),
  batch: BatchSchema,
});

export interface ProtoError {
  message: string;
  code?: string | null;
}

export interface StmtResult {
  cols: { name: string | null; decltype: string | null }[];
  rows: ProtoValue[][];
  affected_row_count: number;
  last_insert_rowid: string | null;
  rows_read: number;
  rows_written: number;
  query_duration_ms: number;
}

export type StreamResponse =
  | { type: 'close' }
  | { type: 'execute'; result: StmtResult }
  | { type: 'batch'; result: { step_results: (StmtResult | null)[]; step_errors: (ProtoError | null)[] } }
  | { type: 'sequence' }
  | {
      type: 'describe';
      result: {
        params: { name: string | null }[];
        cols: { name: string; decltype: string | null }[];
        is_explain: boolean;
        is_readonly: boolean;
      };
    }
  | { type: 'store_sql' }
  | { type: 'close_sql' }
  | { type: 'get_autocommit'; is_autocommit: boolean };

export type StreamResult = { type: 'ok'; response: StreamResponse } | { type: 'error'; error: ProtoError };

/** A JS value as better-sqlite3 (safe integers on) returns it, to its Hrana encoding. */
export function encodeValue(value: unknown): ProtoValue {
  if (value === null || value === undefined) return { type: 'null' };
  if (typeof value === 'bigint') return { type: 'integer', value: value.toString() };
  if (typeof value === 'number') return { type: 'float', value };
  if (typeof value === 'string') return { type: 'text', value };
  // sqld writes blobs as base64 without padding (proto.rs `bytes_as_base64`, STANDARD_NO_PAD).
  if (Buffer.isBuffer(value)) return { type: 'blob', base64: value.toString('base64').replace(/=+$/, '') };
  throw new Error(`cannot encode a ${typeof value} as a Hrana value`);
}

/** A Hrana value to what better-sqlite3 binds: integers as BigInt (64-bit exact). */
export function decodeValue(value: ProtoValue): bigint | number | string | Buffer | null {
  switch (value.type) {
    case 'null':
      return null;
    case 'integer':
      return BigInt(value.value);
    case 'float':
      return value.value;
    case 'text':
      return value.value;
    case 'blob':
      return Buffer.from(value.base64, 'base64');
  }
}

type BatchResult = Extract<StreamResponse, { type: 'batch' }>['result'];

/** A batch result as cursor entries (HRANA_3_SPEC.md "Cursor entries"); skipped steps send none. */
export function cursorEntries(result: BatchResult): unknown[] {
  const entries: unknown[] = [];
  for (const [step, stepResult] of result.step_results.entries()) {
    const error = result.step_errors[step];
    if (error) {
      entries.push({ type: 'step_error', step, error });
    } else if (stepResult) {
      entries.push({ type: 'step_begin', step, cols: stepResult.cols });
      for (const row of stepResult.rows) entries.push({ type: 'row', row });
      entries.push({ type: 'step_end', affected_row_count: stepResult.affected_row_count, last_insert_rowid: stepResult.last_insert_rowid });
    }
  }
  return entries;
}
