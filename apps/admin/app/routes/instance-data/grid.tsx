import { useState } from 'react';
import { Link } from 'react-router';
import { CsrfField } from '../../components/csrf';
import { OnceField } from '../../components/once-field';
import { OnceForm, SubmitButton } from '@silo/web/once-form';
import { ScrollRegion } from '../../components/scroll-region';
import { cellText } from '../../lib/format';
import type { Cell } from '../../lib/results.server';
import type { ColumnInfo } from '../../lib/data-browser/types';

export interface GridRow {
  /** The row's key, encoded for a form. */
  key: string;
  cells: Cell[];
}

interface Props {
  table: string;
  columns: readonly ColumnInfo[];
  rows: readonly GridRow[];
  sort: string | undefined;
  order: 'asc' | 'desc';
  /** The URL of the grid sorted by a column (the order toggles on the sorted one). */
  sortHref: (column: string) => string;
  write: boolean;
}

/** The rows of one page. In write mode a cell is a button that opens its editor, and a row can be deleted. */
export function Grid({ table, columns, rows, sort, order, sortHref, write }: Props) {
  const [editing, setEditing] = useState<string | undefined>();
  return (
    <ScrollRegion label={`Rows of ${table}`}>
      <table className="data grid" aria-label={`Rows of ${table}`}>
        <thead>
          <tr>
            {columns.map((column) => (
              <th key={column.name} scope="col" aria-sort={sort === column.name ? (order === 'asc' ? 'ascending' : 'descending') : undefined}>
                <Link to={sortHref(column.name)} className="sort-link" data-sort-column={column.name}>
                  {column.name}
                  {sort === column.name ? (order === 'asc' ? ' ▲' : ' ▼') : ''}
                </Link>
              </th>
            ))}
            {write ? <th scope="col">Row</th> : null}
          </tr>
        </thead>
        <tbody>
          {rows.length === 0 ? (
            <tr>
              <td colSpan={columns.length + (write ? 1 : 0)} className="muted">
                No rows.
              </td>
            </tr>
          ) : null}
          {rows.map((row) => (
            <tr key={row.key} data-row-key={row.key}>
              {columns.map((column, index) => {
                const value = row.cells[index] ?? null;
                const id = `${row.key}\u0000${column.name}`;
                const editable = write && !column.generated && !(typeof value === 'string' && value.startsWith('<blob '));
                if (editable && editing === id) {
                  return (
                    <td key={column.name}>
                      <OnceForm method="post" className="cell-editor" onSubmit={() => setEditing(undefined)}>
                        <CsrfField />
                        <input type="hidden" name="intent" value="update" />
                        <input type="hidden" name="table" value={table} />
                        <input type="hidden" name="key" value={row.key} />
                        <input type="hidden" name="column" value={column.name} />
                        <input name="value" aria-label={`New value of ${column.name}`} defaultValue={value === null ? '' : String(value)} autoFocus />
                        <label className="small">
                          <input type="checkbox" name="null" value="1" defaultChecked={value === null} /> NULL
                        </label>
                        <SubmitButton>Save</SubmitButton>
                        <button type="button" className="link" onClick={() => setEditing(undefined)}>
                          Cancel
                        </button>
                      </OnceForm>
                    </td>
                  );
                }
                const content = <span className={value === null ? 'muted' : undefined}>{cellText(value)}</span>;
                return (
                  <td key={column.name} className={typeof value === 'number' ? 'num' : undefined}>
                    {editable ? (
                      <button type="button" className="cell-button" aria-label={`Edit ${column.name}: ${cellText(value)}`} onClick={() => setEditing(id)}>
                        {content}
                      </button>
                    ) : (
                      content
                    )}
                  </td>
                );
              })}
              {write ? (
                <td>
                  <OnceForm
                    method="post"
                    onSubmit={(event) => {
                      if (!window.confirm('Delete this row? The audit log keeps its values.')) event.preventDefault();
                    }}
                  >
                    <CsrfField />
                    <input type="hidden" name="intent" value="delete" />
                    <input type="hidden" name="table" value={table} />
                    <input type="hidden" name="key" value={row.key} />
                    <SubmitButton className="danger small">Delete</SubmitButton>
                  </OnceForm>
                </td>
              ) : null}
            </tr>
          ))}
        </tbody>
      </table>
    </ScrollRegion>
  );
}

/** A new row: a field per writable column; an empty field takes the column's default. */
export function InsertForm({ table, columns, once }: { table: string; columns: readonly ColumnInfo[]; once: string }) {
  return (
    <OnceForm method="post" className="card insert-form" aria-labelledby="insert-h">
      <h2 id="insert-h">Insert a row</h2>
      <CsrfField />
      <OnceField token={once} />
      <input type="hidden" name="intent" value="insert" />
      <input type="hidden" name="table" value={table} />
      <div className="insert-fields">
        {columns
          .filter((column) => !column.generated)
          .map((column) => (
            <div key={column.name} className="insert-field">
              <label htmlFor={`insert-${column.name}`}>
                {column.name} <span className="muted small">{column.type}</span>
              </label>
              <input id={`insert-${column.name}`} name={`v:${column.name}`} placeholder={column.defaultValue === null ? 'default' : `default ${column.defaultValue}`} />
              <label className="small">
                <input type="checkbox" name={`n:${column.name}`} value="1" /> NULL
              </label>
            </div>
          ))}
      </div>
      <SubmitButton>Insert</SubmitButton>
    </OnceForm>
  );
}
