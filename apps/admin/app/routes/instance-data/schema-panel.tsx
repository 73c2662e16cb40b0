import { DataTable, type DataColumn } from '../../components/data-table';
import type { ColumnInfo, TableSchema } from '../../lib/data-browser/types';

type Schema = Omit<TableSchema, 'shape'>;

const COLUMNS: readonly DataColumn<ColumnInfo>[] = [
  { header: 'Column', cell: (c) => c.name, rowHeader: true },
  { header: 'Type', cell: (c) => c.type || '(none)' },
  { header: 'Constraints', cell: (c) => [c.pk > 0 ? `PRIMARY KEY${c.pk > 1 ? ` (${c.pk})` : ''}` : '', c.notNull ? 'NOT NULL' : '', c.generated ? 'GENERATED' : ''].filter(Boolean).join(', ') || '—' },
  { header: 'Default', cell: (c) => (c.defaultValue === null ? '—' : <code>{c.defaultValue}</code>) },
];

/** A table's columns, constraints, indexes, foreign keys and triggers, and its CREATE statement. */
export function SchemaPanel({ schema }: { schema: Schema }) {
  return (
    <details className="card schema-panel" data-testid="schema">
      <summary>
        <h2 className="inline-h">Schema of {schema.name}</h2>
        <span className="muted small">
          {' '}
          {schema.columns.length} columns, {schema.indexes.length} indexes, {schema.triggers.length} triggers{schema.withoutRowid ? ', WITHOUT ROWID' : ''}
        </span>
      </summary>
      <DataTable label={`Columns of ${schema.name}`} columns={COLUMNS} rows={schema.columns} rowKey={(c) => c.name} />
      <h3>Indexes</h3>
      {schema.indexes.length === 0 ? (
        <p className="muted">None.</p>
      ) : (
        <DataTable
          label={`Indexes of ${schema.name}`}
          columns={[
            { header: 'Index', cell: (i) => i.name, rowHeader: true },
            { header: 'Columns', cell: (i) => i.columns },
            { header: 'Unique', cell: (i) => (i.unique ? 'yes' : 'no') },
            { header: 'Made by', cell: (i) => ({ pk: 'PRIMARY KEY', u: 'UNIQUE', c: 'CREATE INDEX' })[i.origin] ?? i.origin },
          ]}
          rows={schema.indexes}
          rowKey={(i) => i.name}
        />
      )}
      {schema.foreignKeys.length > 0 ? (
        <>
          <h3>Foreign keys</h3>
          <DataTable
            label={`Foreign keys of ${schema.name}`}
            columns={[
              { header: 'Column', cell: (f) => f.from, rowHeader: true },
              { header: 'References', cell: (f) => `${f.table}(${f.to ?? 'primary key'})` },
              { header: 'On update / delete', cell: (f) => `${f.onUpdate} / ${f.onDelete}` },
            ]}
            rows={schema.foreignKeys}
            rowKey={(f) => `${f.from}-${f.table}`}
          />
        </>
      ) : null}
      <h3>Triggers</h3>
      {schema.triggers.length === 0 ? (
        <p className="muted">None.</p>
      ) : (
        schema.triggers.map((t) => (
          <pre key={t.name} className="sql-block">
            {t.sql}
          </pre>
        ))
      )}
      <h3>CREATE statement</h3>
      <pre className="sql-block">{schema.sql}</pre>
    </details>
  );
}
