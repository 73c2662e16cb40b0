import type { TableShape } from './keyset';

/** The instance's tables with their row counts, in name order. */
export interface TableEntry {
  readonly name: string;
  readonly rows: number;
}

export interface ColumnInfo {
  readonly name: string;
  readonly type: string;
  readonly notNull: boolean;
  readonly defaultValue: string | null;
  /** Position in the primary key (1-based), 0 when not in it. */
  readonly pk: number;
  /** A generated column: shown, never written. */
  readonly generated: boolean;
}

export interface TableSchema {
  readonly name: string;
  readonly sql: string;
  readonly withoutRowid: boolean;
  readonly columns: readonly ColumnInfo[];
  readonly indexes: readonly { name: string; unique: boolean; columns: string; origin: string; sql: string | null }[];
  readonly foreignKeys: readonly { from: string; table: string; to: string | null; onUpdate: string; onDelete: string }[];
  readonly triggers: readonly { name: string; sql: string }[];
  readonly shape: TableShape;
}
